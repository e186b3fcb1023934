"""Sluice's Spark app: checks Parquet landings, aggregates them and commits a lake run."""
