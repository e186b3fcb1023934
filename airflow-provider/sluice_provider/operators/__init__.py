"""Operators: SluiceSubmitJobOperator (job.py)."""
