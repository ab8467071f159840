"""Plaza retail package."""
