"""Plaza hardware package."""
