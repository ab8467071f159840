"""The JSON API under /api/v1: one blueprint, operations registered by each domain's api.py."""

from store_server.api.framework import Ctx, api_blueprint, operation

__all__ = ["Ctx", "api_blueprint", "operation"]
