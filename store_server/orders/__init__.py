"""Orders from every channel: online orders that reserve stock, till and kiosk sales."""
