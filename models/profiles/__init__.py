"""Expert risk profiles as YAML documents (one per file), loaded by `models.rules`."""
