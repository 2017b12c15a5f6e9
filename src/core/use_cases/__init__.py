"""Use cases: each a small class with injected ports and one `__call__(command) -> result`."""
