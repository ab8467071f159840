"""Selling at the agent: a manager's price override and discount, members by their QR (online
and offline), the receipt with its e-receipt QR on a printer, and a reprint that is a copy,
never a second sale."""

from __future__ import annotations

from typing import Any

from tests.pos_client.conftest import Plaza, TillProcess, printed, wait_until


def _till_on_shift(till_factory: Any, name: str, *extra: str) -> TillProcess:
    till: TillProcess = till_factory(name, "--sync-interval", "0.2", "--max-backoff", "0.5", *extra)
    wait_until(lambda: (s := till.status())["online"] and s["catalogue_ready"], what="the first sync")
    till.start_shift()
    return till


def _items(plaza: Plaza, category: str, count: int) -> list[str]:
    rows = plaza.sql("SELECT g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id JOIN product p ON "
                     "p.id = s.product_id WHERE p.category LIKE ? ORDER BY g.gtin LIMIT ?",
                     category + "%", count)
    return [gtin[1:] for (gtin,) in rows]


def _recorded_total(plaza: Plaza, uuid: str) -> int | None:
    rows = plaza.sql("SELECT total FROM customer_order WHERE client_uuid = ?", uuid)
    return rows[0][0] if rows else None


def _manager(till: TillProcess) -> dict[str, str]:
    return {"manager": "manager.xanadu", "manager_pin": till.pins["manager.xanadu"]}


def test_a_manager_overrides_a_price_and_discounts_the_sale(server_up: Plaza, till_factory: Any,
                                                            virtual_printer: Any) -> None:
    till = _till_on_shift(till_factory, "till-override", "--printer", virtual_printer.url)
    audio, phone = _items(server_up, "electronics/audio", 1) + _items(server_up, "electronics/phones", 1)
    till.post("/api/sale/scan", {"code": audio})
    sale = till.post("/api/sale/scan", {"code": phone})
    was = sale["lines"][1]["unit_price"]

    cashier = {"manager": "cashier1.xanadu", "manager_pin": till.pins["cashier1.xanadu"]}
    refused = till.post("/api/sale/lines/1/price", {"unit_price": 100, **cashier}, expect=403)
    assert refused["code"] == "not-a-manager"
    wrong = {"manager": "manager.xanadu", "manager_pin": "0000000"}
    assert till.post("/api/sale/lines/1/price", {"unit_price": 100, **wrong}, expect=401)["code"] == "bad-pin"
    sale = till.post("/api/sale/lines/1/price", {"unit_price": was - 1000, **_manager(till)})
    assert sale["lines"][1]["override"] == {"by": "manager.xanadu", "was": was}
    assert sale["lines"][1]["gross"] == was - 1000

    before = sale["total"]
    sale = till.post("/api/sale/discount", {"percent": 10, "reason": "Caja dañada", **_manager(till)})
    [manual] = [d for d in sale["discounts"] if d["code"] == "manual"]
    assert manual["reason"] == "Caja dañada" and manual["by"] == "manager.xanadu"
    assert sale["total"] == before - round(before / 10)
    assert any(d["code"] == "AUDIO-15" for d in sale["discounts"])  # the promotion stays, explained

    till.post("/api/sale/cash", {"tendered": sale["total"] + 2000})
    done = till.post("/api/sale/complete")
    assert done["change"] == 2000
    wait_until(lambda: _recorded_total(server_up, done["uuid"]) is not None, what="the sale to sync")
    assert _recorded_total(server_up, done["uuid"]) == sale["total"]  # the server agrees to the cent
    assert till.status()["rejected"] == 0

    [receipt] = printed(virtual_printer, 1 + 1)[1:]  # after the drawer kick for the float
    assert receipt["job_id"] == done["uuid"]
    assert receipt["qr_codes"] == [f"{server_up.url}/r/{done['uuid']}"]
    assert receipt["drawer_kicks"] == ["1b 70 00 32 32"]
    assert "Caja dañada" in receipt["text"] and "Cambio" in receipt["text"]

    copy = till.post("/api/sale/reprint", {})
    assert copy["uuid"] == done["uuid"] and copy["job"] != done["uuid"]
    jobs = printed(virtual_printer, 3)
    assert jobs[2]["job_id"] == copy["job"] and "COPIA" in jobs[2]["text"]
    assert jobs[2]["qr_codes"] == receipt["qr_codes"] and not jobs[2]["drawer_kicks"]
    assert till.post("/api/sale/complete")["uuid"] == done["uuid"]  # a double tap: the same sale
    assert server_up.sql("SELECT count(*) FROM customer_order WHERE client_uuid = ?", done["uuid"]) == [(1,)]


def _a_member(plaza: Plaza) -> tuple[str, str, int]:
    [(number,)] = plaza.sql("SELECT number FROM customer WHERE active ORDER BY id LIMIT 1")
    qr = plaza.api("POST", f"/customers/{number}/member-qr")
    assert qr.status_code == 201, qr.text
    return number, qr.json()["payload"], _points(plaza, number)


def _points(plaza: Plaza, number: str) -> int:
    return int(plaza.api("GET", f"/customers/{number}").json()["points"])


def test_a_member_earns_points_whether_the_till_is_online_or_not(server_up: Plaza,
                                                                 till_factory: Any) -> None:
    till = _till_on_shift(till_factory, "till-member")
    [ean] = _items(server_up, "electronics/audio", 1)
    number, payload, points = _a_member(server_up)

    sale = till.post("/api/sale/scan", {"code": payload})
    assert sale["member"]["number"] == number and sale["member"]["points"] == points
    forged = payload[:-4] + ("AAAA" if not payload.endswith("AAAA") else "BBBB")
    assert till.post("/api/sale/scan", {"code": forged}, expect=422)["code"].startswith("member-qr")
    sale = till.post("/api/sale/scan", {"code": ean})
    till.post("/api/sale/cash", {"tendered": sale["total"]})
    till.post("/api/sale/complete")
    wait_until(lambda: _points(server_up, number) > points, what="the member's points")
    points = _points(server_up, number)

    # Offline: the QR cannot be checked now; the sale carries it and the server checks it.
    server_up.server.stop()
    wait_until(lambda: not till.status()["online"], what="the till to notice")
    sale = till.post("/api/sale/scan", {"code": payload})
    assert sale["member"] == {"pending": True}
    sale = till.post("/api/sale/scan", {"code": ean})
    till.post("/api/sale/cash", {"tendered": sale["total"]})
    done = till.post("/api/sale/complete")
    assert done["sale"]["member"] == {"pending": True}
    server_up.server.start()
    wait_until(lambda: till.status()["waiting"] == 0 and till.status()["online"], 30, what="the sale to sync")
    assert _points(server_up, number) > points
