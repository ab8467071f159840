"""Opaque cursors for keyset pagination: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from pydantic import BaseModel, Field

from store_server.errors import InvalidInput


class PageQuery(BaseModel):
    cursor: str | None = Field(None, description="`next_cursor` from the previous page")
    limit: int = Field(50, ge=1, le=500)


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    if cursor is None:
        return None
    try:
        return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidInput("the cursor is not one this API gave out; start without it") from exc


def page(items: list[Any], limit: int, key: Any) -> dict[str, Any]:
    """``items`` were fetched with ``limit + 1`` rows; ``key`` maps an item to its cursor."""
    more = len(items) > limit
    items = items[:limit]
    return {
        "items": items,
        "next_cursor": encode_cursor(key(items[-1])) if more and items else None,
    }
