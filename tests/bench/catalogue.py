"""Catalogue benchmark (issue 2): GTIN lookups over HTTP and the 100,000-SKU first sync.

Aim: at least 1,000 lookups/s with p99 under 30 ms at 16 clients; the full snapshot of a
100,000-SKU catalogue in under 10 s.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from store_server import create_app
from store_server.catalog.models import Gtin
from tests.bench.harness import Setup, database, get_json, load, prepare, server


def gtin_paths(setup: Setup) -> list[str]:
    app = create_app({"INSTANCE_PATH": setup.instance, "DATABASE_URL": setup.database_url})
    with app.extensions["plaza"].session_factory() as session:
        gtins = list(session.execute(select(Gtin.gtin)).scalars())
    app.extensions["plaza"].engine.dispose()
    return [f"/api/v1/gtins/{g}" for g in gtins]


def snapshot_seconds(base: str, token: str, page: int = 5000) -> tuple[float, int]:
    started = time.perf_counter()
    items, cursor = 0, None
    while True:
        path = f"/api/v1/sync/changes?after=0&limit={page}" + (f"&cursor={cursor}" if cursor else "")
        body = get_json(base, path, token)
        items += len(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return time.perf_counter() - started, items


def run(kinds: list[str], skus: int, clients: int, seconds: float) -> None:
    for kind in kinds:
        with database(kind) as url:
            setup = prepare(url, skus)
            print(f"\n== {kind}: demo chain + {skus:,} generated SKUs loaded in "
                  f"{setup.seconds_to_load:.1f} s", flush=True)
            paths = gtin_paths(setup)
            for label, threads in (("2 sync workers", 1), ("2 gthread workers x 4", 4)):
                with server(setup, workers=2, threads=threads) as base:
                    get_json(base, paths[0], setup.till_token)  # warm the workers
                    for n in (1, clients):
                        result = load(base, paths, setup.till_token, n, seconds)
                        print(f"GTIN lookup, gunicorn {label}, {n:2d} clients: {result.line()}",
                              flush=True)
            with server(setup, workers=2) as base:
                elapsed, items = snapshot_seconds(base, setup.till_token)
                print(f"first-sync snapshot: {items:,} SKUs in {elapsed:.2f} s "
                      f"({items / elapsed:,.0f} SKUs/s, pages of 5,000)", flush=True)
