"""Writes of the data-operations room."""
