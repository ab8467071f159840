"""A cashier's shift at the agent: signing in with a PIN (online and offline), the drawer's
session from float to Z report, and an agent that obeys its own pages only."""

from __future__ import annotations

from typing import Any

import requests

from tests.pos_client.conftest import Plaza, TillProcess, printed, wait_until


def _synced_till(till_factory: Any, name: str, *extra: str) -> TillProcess:
    till: TillProcess = till_factory(name, "--sync-interval", "0.2", "--max-backoff", "0.5", *extra)
    wait_until(lambda: (s := till.status())["online"] and s["catalogue_ready"], what="the first sync")
    return till


def _an_audio_item(plaza: Plaza) -> str:
    [(gtin,)] = plaza.sql("SELECT g.gtin FROM gtin g JOIN sku s ON s.id = g.sku_id JOIN product p ON "
                          "p.id = s.product_id WHERE p.category LIKE 'electronics/audio%' "
                          "ORDER BY g.gtin LIMIT 1")
    return gtin[1:]


def test_a_signed_out_till_sells_nothing_and_a_wrong_pin_opens_nothing(server_up: Plaza,
                                                                       till_factory: Any) -> None:
    till = _synced_till(till_factory, "till-signin")
    ean = _an_audio_item(server_up)
    assert till.post("/api/sale/scan", {"code": ean}, expect=401)["code"] == "signed-out"
    assert till.get("/api/status")["cashier"] is None

    people = till.get("/api/cashiers")
    assert {"username": "cashier1.xanadu", "display_name": "cashier1.xanadu", "role": "cashier"} in people
    assert all(set(p) == {"username", "display_name", "role"} for p in people)  # never a hash
    assert "cashier1.shanghai" not in {p["username"] for p in people}  # another store's staff

    wrong = "000000" if till.pins["cashier1.xanadu"] != "000000" else "111111"
    problem = till.post("/api/login", {"username": "cashier1.xanadu", "pin": wrong}, expect=401)
    assert problem["code"] == "bad-pin"
    signed = till.sign_in()["cashier"]
    assert signed == {"username": "cashier1.xanadu", "display_name": "cashier1.xanadu", "role": "cashier"}
    assert till.status()["cashier"]["username"] == "cashier1.xanadu"

    # Signed in, but no drawer yet: nothing is sold before the float is counted in.
    assert till.post("/api/sale/scan", {"code": ean}, expect=422)["code"] == "no-session"
    till.post("/api/logout")
    assert till.get("/api/status")["cashier"] is None


def test_a_cashier_signs_in_while_the_server_is_down(server_up: Plaza, till_factory: Any) -> None:
    till = _synced_till(till_factory, "till-offline-signin")
    # A cashier hired today: the feed tells the till, which fetches the store's PIN hashes again.
    hired = server_up.api("POST", "/users", json={"username": "cashier3.xanadu", "role": "cashier",
                                                  "store": "MAD-XANADU", "pin": "482915",
                                                  "display_name": "Lucía"})
    assert hired.status_code == 201, hired.text
    wait_until(lambda: "cashier3.xanadu" in {p["username"] for p in till.get("/api/cashiers")},
               what="the till to hear of the new cashier")
    server_up.server.stop()
    wait_until(lambda: not till.status()["online"], what="the till to notice")
    problem = till.post("/api/login", {"username": "cashier2.xanadu", "pin": "99999999"}, expect=401)
    assert problem["code"] == "bad-pin"
    assert till.sign_in("cashier2.xanadu")["cashier"]["username"] == "cashier2.xanadu"
    assert till.get("/api/status")["cashier"]["role"] == "cashier"
    signed = till.post("/api/login", {"username": "cashier3.xanadu", "pin": "482915"})["cashier"]
    assert signed == {"username": "cashier3.xanadu", "display_name": "Lucía", "role": "cashier"}


def test_guessing_pins_locks_the_name_out(server_up: Plaza, till_factory: Any) -> None:
    till = _synced_till(till_factory, "till-lockout")
    pin = till.pins["cashier2.xanadu"]
    guesses = [f"{n:06d}" for n in range(6) if f"{n:06d}" != pin][:5]
    try:
        for guess in guesses:
            till.post("/api/login", {"username": "cashier2.xanadu", "pin": guess}, expect=401)
        problem = till.post("/api/login", {"username": "cashier2.xanadu", "pin": pin}, expect=429)
        assert problem["code"] == "locked" and problem["retry_in"] > 0
    finally:
        # The server locked the name for every till of the chain for five minutes: give the
        # shared server back unlocked, or the next test that signs this cashier in fails.
        server_up.sql("DELETE FROM sign_in_throttle WHERE key LIKE 'pin:%:cashier2.xanadu'")


def test_only_the_tills_own_pages_can_drive_it(server_up: Plaza, till_factory: Any) -> None:
    till = _synced_till(till_factory, "till-origin")
    page = requests.get(till.url + "/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "attachScanner" in requests.get(till.url + "/static/scanner.js", timeout=10).text
    till.sign_in()
    pin = till.pins["cashier1.xanadu"]
    # Another web page in the till's browser posting to the agent.
    evil = requests.post(till.url + "/api/session/open", json={"float": 100},
                         headers={"Origin": "https://evil.example"}, timeout=10)
    assert (evil.status_code, evil.json()["code"]) == (403, "cross-origin")
    form = requests.post(till.url + "/api/login", data={"username": "cashier1.xanadu", "pin": pin},
                         timeout=10)
    assert (form.status_code, form.json()["code"]) == (415, "json-only")
    text = requests.post(till.url + "/api/sale/complete", data="{}", headers={"Content-Type": "text/plain"},
                         timeout=10)
    assert text.status_code == 415
    # A rebinding page reaches 127.0.0.1 under its own name.
    rebound = requests.get(till.url + "/api/sale", headers={"Host": "evil.example:80"}, timeout=10)
    assert (rebound.status_code, rebound.json()["code"]) == (403, "wrong-host")
    assert till.status()["session"] is None
    own = requests.post(till.url + "/api/session/open", json={"float": 100}, timeout=10,
                        headers={"Origin": till.url})
    assert own.status_code == 200, own.text


def test_a_shift_from_float_to_z_report(server_up: Plaza, till_factory: Any, virtual_printer: Any) -> None:
    till = _synced_till(till_factory, "till-z", "--printer", virtual_printer.url)
    till.sign_in()
    session = till.post("/api/session/open", {"float": 15000})
    assert till.post("/api/session/open", {"float": 100}, expect=422)["code"] == "session-open"
    status = till.status()
    assert status["session"]["uuid"] == session["uuid"] and status["session"]["float"] == 15000

    ean = _an_audio_item(server_up)
    totals = []
    for tendered_extra in (0, 1000):
        summary = till.post("/api/sale/scan", {"code": ean})
        till.post("/api/sale/cash", {"tendered": summary["total"] + tendered_extra})
        done = till.post("/api/sale/complete")
        assert done["sale"]["cash_session"] == session["uuid"]
        totals.append(summary["total"])
    till.post("/api/session/movements", {"kind": "in", "amount": 5000, "reason": "change from the safe"})
    report = till.post("/api/session/movements", {"kind": "out", "amount": 2000, "reason": "to the safe"})
    assert till.post("/api/session/movements", {"kind": "out", "amount": 10**9, "reason": "all"},
                     expect=422)["code"] == "short"
    expected = 15000 + sum(totals) + 5000 - 2000
    assert (report["sales_count"], report["sales_by_tender"], report["expected_cash"]) == (
        2, {"cash": sum(totals)}, expected)
    assert till.get("/api/session/report")["closed_at"] is None

    z = till.post("/api/session/close", {"counted": expected - 150})
    assert (z["counted_cash"], z["difference"], z["closed_by"]) == (expected - 150, -150, "cashier1.xanadu")
    assert till.status()["session"] is None
    assert till.post("/api/sale/scan", {"code": ean}, expect=422)["code"] == "no-session"

    # Printed: the float, two drawer kicks for the movements, two receipts, the Z report.
    jobs = wait_until(lambda: [j for j in printed(virtual_printer, 6) if j["job_id"] == f"z-{z['uuid']}"],
                      what="the Z report to print")
    text = jobs[0]["text"]
    assert "CIERRE Z" in text and "-1,50" in text and "Diferencia" in text

    # The Z report reaches the server, which has both sales of the session.
    wait_until(lambda: till.status()["documents_waiting"] == 0 and till.status()["waiting"] == 0,
               what="the Z report to reach the server")
    answer = server_up.api("GET", f"/cash-sessions/{z['uuid']}")
    assert answer.status_code == 200, answer.text
    filed = answer.json()
    assert (filed["counted_cash"], filed["difference"], filed["expected_cash"]) == (expected - 150, -150,
                                                                                   expected)
    assert filed["complete"] is True
