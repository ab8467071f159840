"""Promotions stored and served: rules for the shared engine, and limited giveaways granted atomically."""
