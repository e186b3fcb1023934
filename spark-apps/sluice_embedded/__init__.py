"""Sluice's embedded engine: the aggregate app's contract run on DuckDB instead of Spark."""
