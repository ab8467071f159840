"""The web back office for store managers."""
