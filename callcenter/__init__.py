"""The composition root: reads config.toml once, builds and wires every package, owns start and stop."""
