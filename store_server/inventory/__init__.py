"""Inventory: stock levels and the append-only movement ledger they are the sum of."""
