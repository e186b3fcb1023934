"""Triggers that wait on Sluice in the triggerer: SluiceJobTrigger (job.py)."""
