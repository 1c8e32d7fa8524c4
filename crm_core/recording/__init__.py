"""Call recordings as the core sees them: metadata, integrity, muted spans (files live in recordings/)."""
