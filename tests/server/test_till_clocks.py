"""Till clocks that are wrong: sales, returns and Z reports land at the moment they really
happened, whatever the till's clock said and whenever NTP set it right; nothing is refused for
its time, and what is odd is flagged for the manager.

The first tests push what a till pushes, with its clock readings made up; the last ones run the
till's own runtime, with its clocks hours off, against the server in its own process.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from pos_client.runtime import TillRuntime
from retail.barcodes import receipt_qr_url
from store_server.catalog.service import PriceIn, PricesIn, set_prices
from store_server.inventory.models import StockMovement
from store_server.inventory.service import verify
from store_server.orders.models import Order
from store_server.promotions.service import create_promotion
from store_server.tills.models import CashSession, SaleReturn
from tests.pos_client.clocks import TillClocks, till_runtime, unreachable_url
from tests.server.factories import GTINS, Chain, back_office

PRICES = {"PHONE-128-BLK": 29900, "EARBUDS": 4999, "TEA": 799}
MADRID = ZoneInfo("Europe/Madrid")
CLOSE_ENOUGH = timedelta(seconds=3)  # transit, and the Date header's whole seconds


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(autouse=True)
def _priced_since_last_month(chain: Chain) -> None:
    """The chain's shelf prices, in force for a month already: sales hours old find them."""
    set_prices(chain.session, "EU-EUR", PricesIn(prices=[
        PriceIn(sku=sku, amount=amount, valid_from=_now() - timedelta(days=30))
        for sku, amount in PRICES.items()]))


def _sale(device_time: datetime, clock: dict[str, Any] | None = None,
          lines: list[tuple[str, int, int]] | None = None,
          discounts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A Madrid till sale in cash; lines are (sku, quantity, unit price)."""
    lines = lines or [("EARBUDS", 1, PRICES["EARBUDS"])]
    discounts = discounts or []
    total = sum(q * price for _, q, price in lines) - sum(d["amount"] for d in discounts)
    body = {"uuid": str(uuid.uuid4()), "occurred_at": device_time.isoformat(), "store": "MAD-XANADU",
            "currency": "EUR", "cashier": "lucia",
            "lines": [{"sku": sku, "quantity": q, "unit_price": price} for sku, q, price in lines],
            "discounts": discounts, "tenders": [{"kind": "cash", "amount": total, "tendered": total}],
            "total": total}
    if clock is not None:
        body["clock"] = clock
    return body


def _push_sales(chain: Chain, sales: list[dict[str, Any]], **batch: Any) -> dict[str, Any]:
    r = chain.api("till.madrid").post("/sync/sales", json={"sales": sales, **batch})
    assert r.status_code == 200, r.json
    return r.json


def _order(chain: Chain, sale_uuid: str) -> Order:
    chain.session.rollback()
    return chain.session.execute(select(Order).where(Order.client_uuid == sale_uuid)).scalar_one()


def _codes(flags: list[dict[str, str]]) -> list[str]:
    return [f["code"] for f in flags]


def _z_report_page(chain: Chain, day: date) -> str:
    """The back office's Z-report page of a Madrid day, as its manager sees it."""
    client = back_office(chain.app, "manager.madrid")
    page = client.get("/backoffice/z-reports", query_string={"store": "MAD-XANADU", "date": day.isoformat()})
    assert page.status_code == 200
    return page.get_data(as_text=True)


# --------------------------------------------------------------------------- what tills push


def test_sales_made_offline_on_a_clock_hours_off_and_pushed_after_ntp_set_it_land_at_their_true_time(
        chain: Chain) -> None:
    """Two tills sold offline, one 5 hours fast and one 4 hours slow; NTP set both right before
    the push, so the push's sent_at says nothing about the sales. Their boot-time clocks do."""
    now = _now()
    fast_sold, slow_sold = now - timedelta(hours=2), now - timedelta(hours=1)
    fast = _sale(fast_sold + timedelta(hours=5), {"boot": "boot-A", "monotonic": 1000.0})
    slow = _sale(slow_sold - timedelta(hours=4), {"boot": "boot-A", "monotonic": 4600.0},
                 lines=[("TEA", 2, 799)])
    body = _push_sales(chain, [fast, slow], sent_at=now.isoformat(),
                       sent_clock={"boot": "boot-A", "monotonic": 1000.0 + 7200})
    assert body["accepted"] == 2, body
    assert [_codes(r["flags"]) for r in body["results"]] == [["clock-corrected"], ["clock-corrected"]]
    assert "5 h 00 min fast" in body["results"][0]["flags"][0]["detail"]
    assert "4 h 00 min slow" in body["results"][1]["flags"][0]["detail"]
    for sale, sold in ((fast, fast_sold), (slow, slow_sold)):
        order = _order(chain, sale["uuid"])
        assert abs(order.occurred_at - sold) < CLOSE_ENOUGH
        assert order.device_occurred_at == datetime.fromisoformat(sale["occurred_at"])
        assert order.needs_review and _codes(order.review_flags) == ["clock-corrected"]
        movement = chain.session.execute(select(StockMovement).where(
            StockMovement.document == f"sale:{sale['uuid']}")).scalar_one()
        assert movement.occurred_at == order.occurred_at
    document = chain.api("admin").get(f"/orders/{_order(chain, fast['uuid']).number}").json
    assert document["device_occurred_at"] == fast["occurred_at"]
    assert _codes(document["review_flags"]) == ["clock-corrected"]
    # A resend hours later, its clock readings new, lands nothing twice.
    again = _push_sales(chain, [fast, slow], sent_at=_now().isoformat(),
                        sent_clock={"boot": "boot-A", "monotonic": 1000.0 + 9000})
    assert again["duplicates"] == 2
    chain.session.rollback()
    assert chain.session.scalar(select(func.count(Order.id))) == 2 and verify(chain.session) == []


def test_after_a_reboot_the_tills_own_estimate_of_the_server_time_places_the_sale(chain: Chain) -> None:
    """The till rebooted between the sale and the push: its boot-time clock started again, but
    it knew the server's time when it sold (from its last contact in that boot)."""
    sold = _now() - timedelta(hours=3)
    sale = _sale(sold + timedelta(hours=6), {"boot": "boot-A", "monotonic": 50.0,
                                             "server_time": sold.isoformat()})
    body = _push_sales(chain, [sale], sent_at=_now().isoformat(),
                       sent_clock={"boot": "boot-B", "monotonic": 20.0})
    assert body["accepted"] == 1
    assert _order(chain, sale["uuid"]).occurred_at == sold


def test_a_sale_is_never_refused_for_its_time_but_an_odd_time_is_flagged(chain: Chain) -> None:
    """A till that sends no clock readings, with its clock 2 hours fast, and a sale 10 days old:
    both land (the shoppers have paid), the first at the moment it reached the server."""
    future = _sale(_now() + timedelta(hours=2))
    old = _sale(_now() - timedelta(days=10))
    before = _now()
    body = _push_sales(chain, [future, old])
    assert body["accepted"] == 2 and body["rejected"] == 0
    assert [_codes(r["flags"]) for r in body["results"]] == [["future-time"], ["old"]]
    order = _order(chain, future["uuid"])
    assert before <= order.occurred_at <= _now()
    assert order.device_occurred_at == datetime.fromisoformat(future["occurred_at"])
    assert "after the server received it" in order.review_flags[0]["detail"]
    assert _order(chain, old["uuid"]).occurred_at == datetime.fromisoformat(old["occurred_at"])
    # A sale whose clock was right is not flagged.
    right = _sale(_now() - timedelta(minutes=3))
    assert "flags" not in _push_sales(chain, [right], sent_at=_now().isoformat())["results"][0]
    assert not _order(chain, right["uuid"]).needs_review


def test_a_return_is_placed_on_the_servers_clock_like_a_sale(chain: Chain) -> None:
    sold = _now() - timedelta(hours=3)
    sale = _sale(sold, lines=[("EARBUDS", 2, PRICES["EARBUDS"])])
    assert _push_sales(chain, [sale], sent_at=_now().isoformat())["accepted"] == 1
    returned = _now() - timedelta(hours=1)
    ret = {"uuid": str(uuid.uuid4()), "original_sale": sale["uuid"],
           "occurred_at": (returned + timedelta(hours=30)).isoformat(),
           "clock": {"boot": "boot-A", "monotonic": 100.0}, "store": "MAD-XANADU", "currency": "EUR",
           "lines": [{"line": 0, "quantity": 1}], "refunds": [{"kind": "cash", "amount": 4999}],
           "total": 4999}
    batch = {"returns": [ret], "sent_at": _now().isoformat(),
             "sent_clock": {"boot": "boot-A", "monotonic": 100.0 + 3600}}
    r = chain.api("till.madrid").post("/sync/returns", json=batch)
    assert r.status_code == 200 and r.json["accepted"] == 1, r.json
    assert _codes(r.json["results"][0]["flags"]) == ["clock-corrected"]
    chain.session.rollback()
    recorded = chain.session.execute(select(SaleReturn).where(SaleReturn.uuid == ret["uuid"])).scalar_one()
    assert abs(recorded.occurred_at - returned) < CLOSE_ENOUGH
    assert recorded.device_occurred_at == datetime.fromisoformat(ret["occurred_at"])
    assert chain.api("till.madrid").post("/sync/returns", json=batch).json["duplicates"] == 1


def _z_report(opened: datetime, closed: datetime, clocks: tuple[dict[str, Any], dict[str, Any]] | None,
              movement_at: datetime | None = None,
              movement_clock: dict[str, Any] | None = None) -> dict[str, Any]:
    movements = []
    if movement_at is not None:
        movements.append({"kind": "in", "amount": 2000, "reason": "change", "at": movement_at.isoformat(),
                          "cashier": "lucia", **({"clock": movement_clock} if movement_clock else {})})
    report = {"uuid": str(uuid.uuid4()), "till": "Caja 1", "opened_at": opened.isoformat(),
              "closed_at": closed.isoformat(), "opened_by": "lucia", "closed_by": "lucia",
              "currency": "EUR", "float": 10000, "movements": movements, "sales_count": 0,
              "returns_count": 0, "sales_by_tender": {}, "refunds_by_tender": {},
              "expected_cash": 10000 + (2000 if movements else 0), "counted_cash": 12000,
              "difference": 2000 - (2000 if movements else 0)}
    if clocks:
        report["opened_clock"], report["closed_clock"] = clocks
    return report


def _z_reports_of(chain: Chain, day: date) -> list[str]:
    r = chain.api("manager.madrid").get("/cash-sessions", store="MAD-XANADU", date=day.isoformat())
    assert r.status_code == 200, r.json
    return [z["uuid"] for z in r.json["sessions"]]


def test_a_z_report_from_a_till_30_hours_fast_is_filed_under_the_day_it_was_closed(chain: Chain) -> None:
    now, fast = _now(), timedelta(hours=30)
    opened, moved, closed = now - timedelta(hours=9), now - timedelta(hours=5), now - timedelta(hours=1)
    report = _z_report(opened + fast, closed + fast, ({"boot": "b", "monotonic": 500.0},
                                                      {"boot": "b", "monotonic": 500.0 + 8 * 3600}),
                       moved + fast, {"boot": "b", "monotonic": 500.0 + 4 * 3600})
    sent = {"sent_at": now.isoformat(), "sent_clock": {"boot": "b", "monotonic": 500.0 + 9 * 3600}}
    r = chain.api("till.madrid").post("/sync/cash-sessions", json={**report, **sent})
    assert r.status_code == 200 and r.json["status"] == "accepted", r.json
    filed = r.json
    assert abs(datetime.fromisoformat(filed["closed_at"]) - closed) < CLOSE_ENOUGH
    assert abs(datetime.fromisoformat(filed["opened_at"]) - opened) < CLOSE_ENOUGH
    assert datetime.fromisoformat(filed["device_closed_at"]) == closed + fast
    assert abs(datetime.fromisoformat(filed["movements"][0]["at"]) - moved) < CLOSE_ENOUGH
    assert datetime.fromisoformat(filed["movements"][0]["device_at"]) == moved + fast
    assert _codes(filed["review_flags"]) == ["clock-corrected"]
    true_day, till_day = closed.astimezone(MADRID).date(), (closed + fast).astimezone(MADRID).date()
    assert true_day != till_day
    assert _z_reports_of(chain, true_day) == [report["uuid"]] and _z_reports_of(chain, till_day) == []
    # Sent again later, with new clock readings: the same report, filed once.
    later = {"sent_at": _now().isoformat(), "sent_clock": {"boot": "b", "monotonic": 500.0 + 10 * 3600}}
    again = chain.api("till.madrid").post("/sync/cash-sessions", json={**report, **later})
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    chain.session.rollback()
    assert chain.session.scalar(select(func.count(CashSession.id))) == 1
    html = _z_report_page(chain, true_day)
    assert f'data-session="{report["uuid"]}"' in html and "1 d 6 h fast" in html


def test_a_z_report_whose_clock_was_stepped_back_mid_shift_is_filed_not_refused(chain: Chain) -> None:
    """No clock readings: opened on a clock 5 hours fast, closed after NTP set it right, so the
    till says it closed before it opened. It is filed, and the manager told."""
    now = _now()
    report = _z_report(now - timedelta(hours=3) + timedelta(hours=5), now - timedelta(minutes=30), None)
    r = chain.api("till.madrid").post("/sync/cash-sessions", json={**report, "sent_at": now.isoformat()})
    assert r.status_code == 200 and r.json["status"] == "accepted", r.json
    assert "times-out-of-order" in _codes(r.json["review_flags"])
    assert r.json["opened_at"] == r.json["closed_at"]


def test_a_line_sold_at_another_price_than_the_lists_at_that_moment_is_recorded_and_flagged(
        chain: Chain) -> None:
    """Earbuds were 39.99 from 3 to 1 hours ago, 49.99 before and after. A till whose clock ran
    hours off charged the wrong one of the two: the sale stands, and the difference is noted."""
    now = _now()
    set_prices(chain.session, "EU-EUR", PricesIn(prices=[PriceIn(
        sku="EARBUDS", amount=3999, valid_from=now - timedelta(hours=3), valid_to=now - timedelta(hours=1))]))
    create_promotion(chain.session, {
        "id": "TEA-NIGHT", "kind": "percent_off", "name": {"en": "Tea -10%"}, "percent": "10",
        "target": {"kind": "skus", "values": ["TEA"]},
        "valid_from": (now - timedelta(days=3)).astimezone(MADRID).replace(tzinfo=None).isoformat(
            timespec="minutes"),
        "valid_to": (now - timedelta(days=2)).astimezone(MADRID).replace(tzinfo=None).isoformat(
            timespec="minutes")}, "test")
    clock = {"boot": "boot-A", "monotonic": 100.0}
    sent = {"sent_at": now.isoformat(), "sent_clock": {"boot": "boot-A", "monotonic": 100.0 + 7200}}
    in_window_at_list = _sale(now, clock, lines=[("EARBUDS", 1, 3999)])  # 2 hours ago, truly
    in_window_at_shelf = _sale(now, clock, lines=[("EARBUDS", 1, 4999)])
    after_window_at_promo = _sale(now, lines=[("EARBUDS", 1, 3999), ("TEA", 1, 799)],
                                  discounts=[{"amount": 80, "reason": "Tea -10%", "line": 1,
                                              "code": "TEA-NIGHT"}])
    body = _push_sales(chain, [in_window_at_list, in_window_at_shelf, after_window_at_promo], **sent)
    assert body["accepted"] == 3, body
    results = body["results"]
    # The first two: a till 2 hours fast, priced right and wrong (it had not heard from us).
    assert _codes(results[0]["flags"]) == ["clock-corrected"]
    assert _codes(results[1]["flags"]) == ["clock-corrected", "price-differs"]
    assert "sold at 49,99" in results[1]["flags"][1]["detail"]
    assert "held 39,99" in results[1]["flags"][1]["detail"]
    assert _codes(results[2]["flags"]) == ["price-differs", "promotion-off"]
    assert "held 49,99" in results[2]["flags"][0]["detail"]
    assert "TEA-NIGHT" in results[2]["flags"][1]["detail"]
    order = _order(chain, in_window_at_shelf["uuid"])
    assert order.total == 4999 and order.needs_review  # what the shopper paid stands
    html = _z_report_page(chain, order.occurred_at.astimezone(MADRID).date())
    assert f'data-number="{order.number}"' in html and "held 39,99" in html


# --------------------------------------------------------------------------- the till itself


def _cash_sale(till: TillRuntime, ean: str) -> str:
    """Ring up one item in cash, as the cashier does on the till's screen; the sale's UUID."""
    sale = till.scan(ean)
    with till.lock:
        sale.pay_cash(sale.price().total + 500)
    return str(till.complete()["sale"]["uuid"])


@pytest.mark.parametrize("skew", [timedelta(hours=5), -timedelta(hours=4), timedelta(hours=30)],
                         ids=["5h-fast", "4h-slow", "30h-fast"])
def test_a_till_with_its_clock_hours_off_sells_a_day_offline_and_every_document_lands_at_its_true_time(
        chain: Chain, live_server: str, tmp_path: Path, skew: timedelta) -> None:
    """The till synced yesterday and rebooted this morning with its clock ``skew`` off and no
    link. It sells all day, takes a return, moves cash and closes its drawer; an hour after
    closing NTP sets its clock right, the agent is restarted and the link comes back. Every
    sale lands once, at the moment it was made; the Z report is filed under its real day."""
    data = tmp_path / "till"
    code = chain.api("admin").post("/devices", json={"store": "MAD-XANADU", "kind": "till",
                                                     "name": "caja-reloj"}).json["pairing_code"]
    yesterday = till_runtime(live_server, data, TillClocks(boot="yesterday"), code)
    assert yesterday.sync.sync_once()
    yesterday.close()

    clocks = TillClocks(skew=skew, lag=timedelta(hours=10), boot="today")
    till = till_runtime(unreachable_url(), data, clocks)
    truth: dict[str, datetime] = {}
    try:
        assert not till.sync.sync_once()  # no link this morning
        till.sign_in("cashier.madrid", "4321")
        till.open_session(10000)
        truth["opened"] = clocks.true_now()
        first = _cash_sale(till, GTINS["EARBUDS"])
        truth[first] = clocks.true_now()
        clocks.pass_time(timedelta(hours=2))
        second = _cash_sale(till, GTINS["PHONE-128-BLK"])
        truth[second] = clocks.true_now()
        till.move_cash("in", 2000, "change from the safe")
        truth["moved"] = clocks.true_now()
        clocks.pass_time(timedelta(hours=1))
        returned = till.make_return(receipt_qr_url("https://plaza.test", first), [{"line": 0, "quantity": 1}],
                                    "does not fit")
        truth[returned["uuid"]] = clocks.true_now()
        clocks.pass_time(timedelta(hours=3))
        third = _cash_sale(till, GTINS["EARBUDS"])
        truth[third] = clocks.true_now()
        clocks.pass_time(timedelta(hours=3))
        report = till.close_session(12000)
        truth["closed"] = clocks.true_now()
        clocks.pass_time(timedelta(hours=1))
        assert till.status()["waiting"] == 3
    finally:
        till.close()
    assert clocks.lag == timedelta(0)

    clocks.set_right()
    till = till_runtime(live_server, data, clocks)  # restarted, online: it pushes what it kept
    try:
        assert till.sync.sync_once()
        status = till.status()
        assert (status["waiting"], status["documents_waiting"], status["rejected"]) == (0, 0, 0)
        assert not status["clock"]["warning"]
    finally:
        till.close()

    chain.session.rollback()
    sales = chain.session.execute(
        select(Order).where(Order.client_uuid.in_([first, second, third]))).scalars().all()
    assert len(sales) == 3
    for order in sales:
        assert abs(order.occurred_at - truth[order.client_uuid]) < CLOSE_ENOUGH, order.client_uuid
        assert abs(order.device_occurred_at - (truth[order.client_uuid] + skew)) < CLOSE_ENOUGH
        assert _codes(order.review_flags) == ["clock-corrected"]
    ret = chain.session.execute(select(SaleReturn).where(SaleReturn.uuid == returned["uuid"])).scalar_one()
    assert abs(ret.occurred_at - truth[returned["uuid"]]) < CLOSE_ENOUGH
    z = chain.api("manager.madrid").get(f"/cash-sessions/{report['uuid']}").json
    assert abs(datetime.fromisoformat(z["closed_at"]) - truth["closed"]) < CLOSE_ENOUGH
    assert abs(datetime.fromisoformat(z["opened_at"]) - truth["opened"]) < CLOSE_ENOUGH
    assert abs(datetime.fromisoformat(z["movements"][0]["at"]) - truth["moved"]) < CLOSE_ENOUGH
    assert z["complete"] and z["matches"] and z["server"]["sales_count"] == 3
    true_day = truth["closed"].astimezone(MADRID).date()
    assert report["uuid"] in _z_reports_of(chain, true_day)
    till_day = (truth["closed"] + skew).astimezone(MADRID).date()
    if till_day != true_day:
        assert report["uuid"] not in _z_reports_of(chain, till_day)
    assert verify(chain.session) == []


def test_a_till_hours_fast_warns_prices_at_the_servers_time_and_stops_warning_once_set_right(
        chain: Chain, live_server: str, tmp_path: Path) -> None:
    """Earbuds go down to 29.99 in two hours. A till 5 hours fast would charge that already;
    once it has heard from the server it knows better, and says its clock is off."""
    now = _now()
    set_prices(chain.session, "EU-EUR", PricesIn(prices=[PriceIn(
        sku="EARBUDS", amount=2999, valid_from=now + timedelta(hours=2), valid_to=now + timedelta(days=1))]))
    code = chain.api("admin").post("/devices", json={"store": "MAD-XANADU", "kind": "till",
                                                     "name": "caja-rapida"}).json["pairing_code"]
    clocks = TillClocks(skew=timedelta(hours=5))
    till = till_runtime(live_server, tmp_path / "till", clocks, code)
    try:
        assert till.sync.sync_once()
        status = till.status()["clock"]
        assert status["warning"] and abs(status["offset"] - 5 * 3600) < 3
        till.sign_in("cashier.madrid", "4321")
        till.open_session(0)
        sale = till.scan(GTINS["EARBUDS"])
        assert sale.lines[0].unit_price == 4999
        with till.lock:
            sale.pay_cash(4999)
        done = till.complete()["sale"]
        # It says what its own clock read, and what it knew of the server's time then.
        assert datetime.fromisoformat(done["occurred_at"]) - _now() > timedelta(hours=4)
        assert abs(datetime.fromisoformat(done["clock"]["server_time"]) - _now()) < CLOSE_ENOUGH
        assert till.sync.sync_once()
        order = _order(chain, sale.uuid)
        assert abs(order.occurred_at - _now()) < timedelta(minutes=1) and order.total == 4999
        assert _codes(order.review_flags) == ["clock-corrected"]  # no price-differs
        clocks.set_right()
        assert not till.status()["clock"]["warning"]  # known from the anchor, before any new answer
    finally:
        till.close()
