"""Customers: member accounts, consents, the signed member QR, points and purchase history."""
