"""Writes of the workflow room."""
