"""Public pages a shopper reaches by scanning a product QR (GS1 Digital Link)."""
