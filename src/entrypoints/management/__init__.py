"""Management commands: each runs one use case through the container and says what it did."""
