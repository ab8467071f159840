"""Devices (tills, kiosks, printers) enrolled per store with one-time pairing codes."""
