"""Sensors: SluiceJobSensor (job.py)."""
