"""Plaza kiosk package."""
