"""The people of the concurrent storm, each run in a process of its own against a live server.

Only ``requests`` and the standard library are imported here, so spawning a process stays
cheap. Every function returns what its person saw: status codes by operation, and the orders
it was told were paid. The test then holds the server's final state against what they saw.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

PRICES = {"PHONE-128-BLK": 29900, "EARBUDS": 4999, "TEA": 799}
STORE = "MAD-XANADU"


class _Client:
    def __init__(self, base: str, token: str) -> None:
        self.base = base + "/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.seen: dict[str, list[int]] = {}
        self.failures: list[str] = []  # 5xx answers and dropped connections, with their text

    def call(self, what: str, method: str, path: str, body: Any = None) -> requests.Response | None:
        try:
            r = self.http.request(method, self.base + path, json=body, timeout=60)
        except requests.RequestException as exc:
            self.failures.append(f"{what}: {exc}")
            return None
        self.seen.setdefault(what, []).append(r.status_code)
        if r.status_code >= 500:
            self.failures.append(f"{what} {r.status_code}: {r.text[:300]}")
        return r

    def result(self, **extra: Any) -> dict[str, Any]:
        return {"seen": self.seen, "failures": self.failures, **extra}


def shopper(base: str, token: str, seed: int, orders: int) -> dict[str, Any]:
    """An online shop placing orders and paying some of them late, around their expiry.

    Reservations last about a second in the storm, so a payment a moment later races the
    expiry workers; some paid orders are picked and handed over, some cancelled.
    """
    rng = random.Random(seed)
    client = _Client(base, token)
    paid: list[str] = []
    for _ in range(orders):
        skus = rng.sample(["PHONE-128-BLK", "EARBUDS"], rng.choice([1, 2]))
        body = {"fulfilment": "pickup", "store": STORE,
                "lines": [{"sku": sku, "quantity": rng.choice([1, 1, 2])} for sku in skus]}
        r = client.call("place", "POST", "/orders", body)
        if r is None or r.status_code != 201:
            continue
        order = r.json()
        number = order["number"]
        plan = rng.random()
        if plan < 0.6:  # pay, now or around the reservation's end
            time.sleep(rng.choice([0, 0, rng.uniform(0.5, 1.6)]))
            p = client.call("pay", "POST", f"/orders/{number}/pay",
                            {"amount": order["total"], "payment_reference": f"storm-{seed}"})
            if p is None or p.status_code != 200:
                continue
            paid.append(number)
            step = rng.random()
            if step < 0.2:
                client.call("cancel-paid", "POST", f"/orders/{number}/cancel", {"note": "changed mind"})
            elif step < 0.7:
                token_ = parse_qs(urlsplit(order.get("pickup_qr") or "").query).get("t", [""])[0]
                for action, extra in [("start_picking", {}), ("mark_ready", {}),
                                      ("complete", {"pickup_token": token_})]:
                    s = client.call(action, "POST", f"/orders/{number}/{action}", extra)
                    if s is None or s.status_code != 200:
                        break
        elif plan < 0.75:
            client.call("cancel", "POST", f"/orders/{number}/cancel", {})
        elif plan < 0.9:  # look at it later: a read expires it lazily when due
            time.sleep(rng.uniform(0.8, 1.5))
            client.call("read", "GET", f"/orders/{number}")
        # else: abandoned; the expiry workers release it
    return client.result(paid=paid)


def till(base: str, token: str, seed: int, batches: int) -> dict[str, Any]:
    """A till pushing cash sales of the same goods: stock may go negative, never refused."""
    rng = random.Random(seed)
    client = _Client(base, token)
    for _ in range(batches):
        sales = []
        for _ in range(rng.randint(1, 4)):
            lines = [(sku, rng.choice([1, 1, 2])) for sku in rng.sample(list(PRICES), rng.choice([1, 2]))]
            total = sum(PRICES[sku] * q for sku, q in lines)
            sales.append({
                "uuid": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
                "lines": [{"sku": sku, "quantity": q, "unit_price": PRICES[sku]} for sku, q in lines],
                "tenders": [{"kind": "card", "amount": total}], "total": total})
        client.call("sales", "POST", "/sync/sales",
                    {"sales": sales, "sent_at": datetime.now(UTC).isoformat()})
        time.sleep(rng.uniform(0, 0.2))
    return client.result()


def stock_keeper(base: str, token: str, seed: int, rounds: int) -> dict[str, Any]:
    """Goods arrive and shelves are counted while everyone else sells the same units."""
    rng = random.Random(seed)
    client = _Client(base, token)
    for n in range(rounds):
        if rng.random() < 0.6:
            client.call("receive", "POST", "/inventory/receipts", {
                "location": STORE, "document": f"DN-{seed}-{n}",
                "lines": [{"sku": "PHONE-128-BLK", "quantity": rng.randint(3, 10)},
                          {"sku": "EARBUDS", "quantity": rng.randint(3, 10)}]})
        else:
            client.call("count", "POST", "/inventory/counts", {
                "location": STORE,
                "lines": [{"sku": sku, "counted": rng.randint(5, 20)}
                          for sku in rng.sample(list(PRICES), 2)]})
        time.sleep(rng.uniform(0.05, 0.3))
    return client.result()
