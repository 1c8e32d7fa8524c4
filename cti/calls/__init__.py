"""The call tracker's parts: call state, queue, dial, transfer and resync rules."""
