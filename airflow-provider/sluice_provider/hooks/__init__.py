"""Hooks: SluiceHook (sluice.py), the only code that uses the generated API client."""
