"""Client work run in separate processes against a live server (only ``requests`` here, so
spawning a process does not import the whole server)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests


def post_many(url: str, token: str, bodies: list[Any], headers: dict[str, str] | None = None) -> list[int]:
    """POST every body at once from threads; returns the status codes."""
    def post(body: Any) -> int:
        return requests.post(url, json=body, timeout=60, headers={
            "Authorization": f"Bearer {token}", **(headers or {})}).status_code

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))
