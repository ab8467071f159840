"""Plaza store server: the single source of truth for catalogue, stock, orders and devices."""

from store_server.app import create_app

__all__ = ["create_app"]
