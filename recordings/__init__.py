"""The recording store: files moved in from the PBX's spool, hashed, verified and purged on disk."""
