"""Per-object authorization: which customers (and what hangs off them) each user may see."""
