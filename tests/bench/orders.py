"""Online order benchmark (issue 3): order creation over HTTP, each reserving stock.

Aim on SQLite, this 2-core machine: at least 500 orders/s, p99 under 50 ms at 8 clients.
Every order is a real pickup order at Madrid for one unit of a generated SKU (enough stock
that none is refused), so each request authenticates, prices, locks and reserves, writes
the order, its ledger movement and its events.
"""

from __future__ import annotations

import json
import random

from sqlalchemy import select

from store_server import create_app
from store_server.catalog.models import Sku
from tests.bench.harness import Setup, database, load, prepare, server


def order_bodies(setup: Setup, count: int = 3000) -> list[str]:
    app = create_app({"INSTANCE_PATH": setup.instance, "DATABASE_URL": setup.database_url})
    with app.extensions["plaza"].session_factory() as session:
        codes = list(session.execute(select(Sku.code).where(Sku.code.like("GEN%"))).scalars())
    app.extensions["plaza"].engine.dispose()
    rng = random.Random(3)
    return [json.dumps({"fulfilment": "pickup", "store": "MAD-XANADU",
                        "lines": [{"sku": rng.choice(codes), "quantity": 1}]}) for _ in range(count)]


def run(kinds: list[str], skus: int, seconds: float) -> None:
    for kind in kinds:
        with database(kind) as url:
            setup = prepare(url, skus)
            print(f"\n== {kind}: demo chain + {skus:,} generated SKUs in stock at MAD-XANADU", flush=True)
            bodies = order_bodies(setup)
            with server(setup, workers=2) as base:
                for clients in (1, 8, 32):
                    result = load(base, ["/api/v1/orders"], setup.admin_token, clients, seconds, bodies)
                    print(f"online order creation, gunicorn 2 sync workers, {clients:2d} clients: "
                          f"{result.line()}", flush=True)
