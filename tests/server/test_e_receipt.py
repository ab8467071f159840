"""The e-receipt at /r/<sale uuid>: what a shopper's phone opens from the QR on the paper receipt.

Sales and returns reach the server the way tills send them (``/sync/sales``, ``/sync/returns``);
the page is then read as a phone would, with no token.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.test import TestResponse

from retail.barcodes import receipt_qr_url
from retail.money import Money
from retail.returns import line_refund
from store_server.customers.service import CustomerIn, register_customer
from store_server.locations.models import Location
from tests.server.factories import Chain

NBSP = "\u00a0"  # Babel puts a no-break space between a euro amount and its sign


def _now() -> datetime:
    return datetime.now(UTC)


def _push(chain: Chain, sales: list[dict[str, Any]], who: str = "till.madrid") -> dict[str, Any]:
    r = chain.api(who).post("/sync/sales", json={"sales": sales, "sent_at": _now().isoformat()})
    assert r.status_code == 200, r.json
    assert r.json["accepted"] == len(sales), r.json
    return r.json


def _page(chain: Chain, sale_uuid: str, **params: str) -> TestResponse:
    """GET the page the receipt QR names, as a phone does: no token."""
    path = receipt_qr_url("https://plaza.example", sale_uuid).removeprefix("https://plaza.example")
    return _get(chain, path, **params)


def _get(chain: Chain, path: str, **params: str) -> TestResponse:
    return chain.app.test_client().get(path, query_string=params)


def _madrid_sale(**extra: Any) -> dict[str, Any]:
    """A phone and earbuds with a line and a basket discount, paid in cash with change."""
    total = 29900 + 4999 - 1000 - 665
    return {
        "uuid": str(uuid.uuid4()), "occurred_at": (_now() - timedelta(hours=3)).isoformat(),
        "store": "MAD-XANADU", "currency": "EUR", "cashier": "lucia",
        "lines": [{"sku": "PHONE-128-BLK", "quantity": 1, "unit_price": 29900},
                  {"sku": "EARBUDS", "quantity": 1, "unit_price": 4999}],
        "discounts": [{"amount": 1000, "reason": "Auriculares -10 €", "line": 1, "code": "EAR10"},
                      {"amount": 665, "reason": "Cupón BIENVENIDA", "code": "WELCOME"}],
        "tenders": [{"kind": "cash", "amount": total, "tendered": 35000}],
        "total": total, **extra,
    }


def _private(r: TestResponse) -> None:
    assert r.headers["Cache-Control"] == "private, no-store"
    assert '<meta name="robots" content="noindex">' in r.text


def test_a_madrid_sale_reads_as_its_paper_receipt_in_spanish(chain: Chain) -> None:
    location = chain.session.query(Location).filter_by(code="MAD-XANADU").one()
    location.address = "C. Puerto de Navacerrada, CC Intu Xanadú\n28939 Arroyomolinos, Madrid"
    chain.session.commit()
    s = _madrid_sale()
    _push(chain, [s])

    r = _page(chain, s["uuid"])
    assert r.status_code == 200 and r.mimetype == "text/html"
    _private(r)
    html = r.text
    assert '<html lang="es">' in html
    assert "Plaza Madrid Xanadú" in html and "28939 Arroyomolinos, Madrid" in html
    assert "Teléfono X5" in html  # the store's language
    assert "Earbuds" in html  # no Spanish name: English
    assert f"299,00{NBSP}€" in html and f"49,99{NBSP}€" in html
    # Discounts with the reasons the shopper read at the till, and their sum.
    assert "Auriculares -10 €" in html and f"-10,00{NBSP}€" in html
    assert "Cupón BIENVENIDA" in html and f"-6,65{NBSP}€" in html
    assert "Descuentos" in html and f"-16,65{NBSP}€" in html
    assert "Subtotal" in html and f"348,99{NBSP}€" in html
    assert Money(33234, "EUR").format("es_ES") == f"332,34{NBSP}€"
    assert "TOTAL" in html and f"332,34{NBSP}€" in html
    # VAT included, as a Spanish receipt states it: 33234 × 21/121 = 5768 on a base of 27466.
    assert f"IVA incluido 21% base 274,66{NBSP}€" in html and f"57,68{NBSP}€" in html
    assert "Efectivo" in html and f"350,00{NBSP}€" in html
    assert "Cambio" in html and f"17,66{NBSP}€" in html
    assert "Cajero: lucia" in html and "Caja: till.madrid" in html
    assert f"Ticket: {s['uuid'][:8].upper()}" in html  # the number the paper prints
    local = datetime.fromisoformat(s["occurred_at"]).astimezone(ZoneInfo("Europe/Madrid"))
    assert f"{local.hour}:{local:%M}:{local:%S}" in html  # the store's clock, not UTC
    assert "<h2>Devoluciones</h2>" not in html  # nothing came back


def test_the_page_may_be_read_in_another_language(chain: Chain) -> None:
    s = _madrid_sale()
    _push(chain, [s])
    html = _page(chain, s["uuid"], lang="en").text
    assert '<html lang="en">' in html
    assert "Phone X5" in html and "Teléfono X5" not in html
    assert "Cash" in html and "Change" in html and "Tax included 21%" in html
    assert "€332.34" in html
    # A language the page does not know keeps the store's.
    assert "Efectivo" in _page(chain, s["uuid"], lang="xx").text


def test_a_shanghai_sale_shows_chinese_labels_yuan_and_weighed_goods(chain: Chain) -> None:
    salmon = 9626  # 512 g at ¥188.00/kg, rounded half up
    total = 2 * 5800 + salmon
    s = {"uuid": str(uuid.uuid4()), "occurred_at": (_now() - timedelta(minutes=20)).isoformat(),
         "store": "SHA-JINQIAO", "currency": "CNY", "cashier": "wang",
         "lines": [{"sku": "TEA", "quantity": 2, "unit_price": 5800},
                   {"sku": "SALMON", "quantity": 512, "unit_price": 18800}],
         "tenders": [{"kind": "cash", "amount": total, "tendered": 25000}], "total": total}
    _push(chain, [s], who="till.shanghai")

    r = _page(chain, s["uuid"])
    assert r.status_code == 200
    _private(r)
    html = r.text
    assert '<html lang="zh">' in html and "Hema Jinqiao" in html
    assert "龙井茶" in html and "挪威三文鱼" in html
    assert "2 × ¥58.00" in html and "0.512 kg × ¥188.00/kg" in html
    assert "合计" in html and "¥212.26" in html
    assert "现金" in html and "¥250.00" in html and "找零" in html and "¥37.74" in html
    assert "含增值税 9%" in html  # tea and fresh fish: the reduced rate
    assert "收银员: wang" in html


def test_an_unknown_or_malformed_uuid_is_a_readable_404(chain: Chain) -> None:
    for path in (f"/r/{uuid.uuid4()}", "/r/not-a-uuid", "/r/1234", "/r/%3Cscript%3E"):
        r = _get(chain, path)
        assert r.status_code == 404 and r.mimetype == "text/html", path
        _private(r)  # a sale still on its way must not be cached as missing
        assert "not on the server yet" in r.text and "try again later" in r.text
        assert "Traceback" not in r.text
    assert "稍后再试" in _page(chain, str(uuid.uuid4()), lang="zh").text


def test_a_sale_shows_the_returns_made_against_it(chain: Chain) -> None:
    s = {"uuid": str(uuid.uuid4()), "occurred_at": (_now() - timedelta(hours=1)).isoformat(),
         "store": "MAD-XANADU", "currency": "EUR", "cashier": "lucia",
         "lines": [{"sku": "EARBUDS", "quantity": 3, "unit_price": 4999}],
         "tenders": [{"kind": "card", "amount": 14997, "reference": "APPROVAL-778899"}],
         "total": 14997}
    _push(chain, [s])
    assert "<h2>Devoluciones</h2>" not in _page(chain, s["uuid"]).text
    sold = chain.api("till.madrid").get(f"/sales/{s['uuid']}").json
    refund = line_refund(sold["lines"][0]["net"], 3, 0, 1)
    back = {"uuid": str(uuid.uuid4()), "original_sale": s["uuid"],
            "occurred_at": (_now() - timedelta(minutes=1)).isoformat(), "store": "MAD-XANADU",
            "currency": "EUR", "cashier": "lucia", "reason": "does not fit",
            "lines": [{"line": 0, "quantity": 1}], "total": refund,
            "refunds": [{"kind": "card", "amount": refund, "reference": ""}]}
    r = chain.api("till.madrid").post("/sync/returns", json={"returns": [back],
                                                             "sent_at": _now().isoformat()})
    assert r.status_code == 200 and r.json["results"][0]["status"] == "accepted", r.json
    number = r.json["results"][0]["number"]

    html = _page(chain, s["uuid"]).text
    assert "<h2>Devoluciones</h2>" in html and number in html
    assert "1 × Earbuds" in html
    assert "Reembolsado" in html and f"49,99{NBSP}€" in html
    # The sale itself reads as it was made.
    assert "Tarjeta" in html and f"149,97{NBSP}€" in html
    assert "APPROVAL-778899" not in html  # the paper prints no card reference either


def test_the_page_names_no_member(chain: Chain) -> None:
    member = register_customer(chain.session, CustomerIn(name="Ana Secreta", phone="+34600111222",
                                                         email="ana@example.com"))
    chain.session.commit()
    s = _madrid_sale(member=member["number"])
    _push(chain, [s])
    html = _page(chain, s["uuid"]).text
    assert "Plaza Madrid Xanadú" in html
    for private in ("Ana Secreta", member["number"], "600111222", "ana@example.com"):
        assert private not in html


def test_the_seller_and_the_receipt_number_read_as_on_the_paper(chain: Chain) -> None:
    # The store's legal name and tax ID are settings of the location, kept and given back whole.
    admin = chain.api("admin")
    madrid = admin.get("/locations/MAD-XANADU").json
    changed = admin.put("/locations/MAD-XANADU", json={
        **{k: v for k, v in madrid.items() if k not in ("id", "active")},
        "legal_name": "Plaza Comercio España, S.L.", "tax_id": "B87654323",
        "address": "C. Puerto de Navacerrada, CC Intu Xanadú\n28939 Arroyomolinos, Madrid"})
    assert changed.status_code == 200, changed.json
    seller = (changed.json["legal_name"], changed.json["tax_id"])
    assert seller == ("Plaza Comercio España, S.L.", "B87654323")
    assert admin.get("/locations/MAD-XANADU").json["tax_id"] == "B87654323"

    numbered = _madrid_sale(receipt_number="T7-000042")
    _push(chain, [numbered])
    html = _page(chain, numbered["uuid"]).text
    assert "Plaza Comercio España, S.L." in html and "NIF: B87654323" in html
    assert "Ticket: T7-000042" in html and numbered["uuid"][:8].upper() not in html

    # A number that is not one (spaces, markup) is refused with the sale, never stored.
    bad = _madrid_sale(receipt_number="T7 <b>1</b>")
    r = chain.api("till.madrid").post("/sync/sales", json={"sales": [bad], "sent_at": _now().isoformat()})
    assert r.status_code == 200 and r.json["results"][0]["status"] == "rejected", r.json
