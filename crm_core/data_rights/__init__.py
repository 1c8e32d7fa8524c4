"""Data rights of one customer: everything about them exported, or erased for good.

`collect` gathers what is attached to a customer, `export` packs it (JSON, recording files and a
manifest of sha256 sums) into a reproducible zip, `erase` anonymises it and leaves a tombstone,
`service.DataRights` is what the HTTP routes and the CLI call.
"""
