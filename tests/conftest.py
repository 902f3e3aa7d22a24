"""Shared pytest setup; the data factories live in `tests/factories.py`."""
