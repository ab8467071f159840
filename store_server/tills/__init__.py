"""Tills beyond the sale: a recorded sale read back, returns against it, and Z reports."""
