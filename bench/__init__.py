"""The performance benchmark: `python -m bench --campaigns N --db sqlite|postgres [--json]`."""
