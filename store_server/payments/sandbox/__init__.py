"""A local stand-in for the Alipay gateway: the same protocol, a wallet page and fault switches.

Standalone on purpose: it imports nothing from the rest of Plaza, so it behaves like a third
party and can run on its own (``plaza-payment-sandbox``).
"""
