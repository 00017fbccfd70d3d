"""The spec language: models, reading YAML and Python specs, validation with places."""
