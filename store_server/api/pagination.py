"""Opaque cursors for keyset pagination: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from store_server.errors import InvalidInput

# A row id or sequence number as a cursor may carry it: a 64-bit database integer.
RowId = Annotated[int, Field(ge=0, lt=2**63)]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, as ``page`` builds it."""

    items: list[T]
    next_cursor: str | None = Field(description="send as `cursor` for the next page; null on the last")


class PageQuery(BaseModel):
    cursor: str | None = Field(None, max_length=500, description="`next_cursor` from the previous page")
    limit: int = Field(50, ge=1, le=500)


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


@lru_cache(maxsize=32)
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def decode_cursor(cursor: str | None, shape: Any = RowId,
                  refusal: str = "the cursor is not one this API gave out; start without it") -> Any:
    """The value a cursor carries, checked against the ``shape`` its endpoint gives out, so a
    crafted or damaged cursor is a 422, never a wrong query or a 500."""
    if cursor is None:
        return None
    try:
        value = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return _adapter(shape).validate_python(value)
    except (binascii.Error, ValueError, orjson.JSONDecodeError, ValidationError) as exc:
        raise InvalidInput(refusal) from exc


def page(items: list[Any], limit: int, key: Any) -> dict[str, Any]:
    """``items`` were fetched with ``limit + 1`` rows; ``key`` maps an item to its cursor."""
    more = len(items) > limit
    items = items[:limit]
    return {
        "items": items,
        "next_cursor": encode_cursor(key(items[-1])) if more and items else None,
    }
