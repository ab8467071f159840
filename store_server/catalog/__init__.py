"""Catalogue: products, SKUs, GTINs, price lists and the QR payload of every SKU."""
