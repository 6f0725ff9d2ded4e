"""Bundled site profiles (TOML)."""
