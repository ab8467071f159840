"""Locations: the warehouses and stores that hold stock, with what each store offers."""
