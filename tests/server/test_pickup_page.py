"""The pickup page at /o/<order number>?t=<token>: what a shopper's phone opens from the order QR
of a click & collect order. It shows the order, where it stands and the store to collect it
from, in the store's language; only with the token the QR carries; never anything about the
shopper; and a readable 404 otherwise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from sqlalchemy import update
from werkzeug.test import TestResponse

from store_server.db import utcnow
from store_server.locations.models import Location
from store_server.orders.models import Order
from tests.server.factories import Chain


def _pickup_order(chain: Chain, **extra: Any) -> dict[str, Any]:
    r = chain.api("admin").post("/orders", json={
        "fulfilment": "pickup", "store": "MAD-XANADU", "lines": [{"sku": "EARBUDS", "quantity": 2}],
        "customer": {"name": "Lucía Martín", "phone": "+34 600 111 222", "email": "lucia@example.es"},
        **extra})
    assert r.status_code == 201, r.json
    return r.json


def _open(chain: Chain, url: str, **params: str) -> TestResponse:
    """GET the page as the shopper's phone does: the QR's path and query, no token header."""
    parts = urlsplit(url)
    query = "&".join([parts.query, *(f"{k}={v}" for k, v in params.items())])
    return chain.app.test_client().get(f"{parts.path}?{query}")


def _private(r: TestResponse) -> None:
    assert r.headers["Cache-Control"] == "private, no-store"
    assert r.headers["X-Robots-Tag"] == "noindex" and r.headers["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex">' in r.text


def _status(r: TestResponse) -> str:
    return r.text.split('data-test="pickup-status"', 1)[1].split(">", 1)[1].split("<", 1)[0]


def _qr_on_page(r: TestResponse) -> str:
    """Read the QR drawn on the page as a phone camera would (the SVG's squares, rasterised)."""
    svg = r.text.split('data-test="pickup-qr">', 1)[1].split("</svg>", 1)[0]
    size = int(svg.split('viewBox="0 0 ', 1)[1].split(" ", 1)[0])
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for square in svg.split('<path d="', 1)[1].split('"', 1)[0].split("z")[:-1]:
        x, y = (int(v) for v in square[1:].split("h", 1)[0].split(","))
        draw.rectangle([x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1], fill=0)
    [result] = zxingcpp.read_barcodes(image)
    return result.text


def test_the_order_qr_opens_the_order_its_status_and_the_store_in_spanish(chain: Chain) -> None:
    location = chain.session.query(Location).filter_by(code="MAD-XANADU").one()
    location.address = "C. Puerto de Navacerrada, CC Intu Xanadú\n28939 Arroyomolinos, Madrid"
    chain.session.commit()
    order = _pickup_order(chain)
    qr = order["pickup_qr"]

    r = _open(chain, qr)
    assert r.status_code == 200 and r.mimetype == "text/html"
    _private(r)
    html = r.text
    assert '<html lang="es">' in html and "Su pedido" in html and order["number"] in html
    assert _status(r) == "Pendiente de pago"
    assert "Plaza Madrid Xanadú" in html and "28939 Arroyomolinos, Madrid" in html and "Recogida en" in html
    assert "2 ×" in html and "Earbuds" in html and "99,98\u00a0€" in html  # the store's money format
    for private in ("Lucía", "Martín", "600 111 222", "lucia@example.es"):
        assert private not in html  # the link may be forwarded: nothing about the shopper
    assert 'data-test="pickup-qr"' not in html  # nothing to collect before it is paid

    number = order["number"]
    admin, staff = chain.api("admin"), chain.api("manager.madrid")
    admin.post(f"/orders/{number}/pay", json={"amount": order["total"], "payment_reference": "T1"})
    assert _status(_open(chain, qr)) == "En preparación"
    staff.post(f"/orders/{number}/start_picking", json={})
    staff.post(f"/orders/{number}/mark_ready", json={})
    ready = _open(chain, qr)
    assert _status(ready) == "Listo para recoger"
    assert "Muestre este código en el mostrador" in ready.text
    # The QR on the page is the order QR: staff scan the shopper's phone and hand the order over.
    scanned = _qr_on_page(ready)
    assert scanned == qr
    done = staff.post("/orders/handover", json={"qr": scanned})
    assert done.status_code == 200 and done.json["status"] == "completed", done.json
    collected = _open(chain, qr)
    assert _status(collected) == "Recogido" and 'data-test="pickup-qr"' not in collected.text

    english = _open(chain, qr, lang="en")
    assert '<html lang="en">' in english.text and _status(english) == "Collected"


def test_an_unpaid_order_past_its_time_reads_as_cancelled(chain: Chain) -> None:
    order = _pickup_order(chain)
    chain.session.execute(update(Order).where(Order.number == order["number"])
                          .values(expires_at=utcnow() - timedelta(minutes=1)))
    chain.session.commit()
    r = _open(chain, order["pickup_qr"])
    assert r.status_code == 200 and _status(r) == "Cancelado"


@pytest.mark.parametrize("spoil", ["no token", "wrong token", "unknown order", "delivery order"])
def test_without_the_qrs_token_there_is_only_a_readable_404(chain: Chain, spoil: str) -> None:
    order = _pickup_order(chain)
    number, token = order["number"], order["pickup_qr"].rsplit("t=", 1)[1]
    path = {
        "no token": f"/o/{number}",
        "wrong token": f"/o/{number}?t={token[:-2]}xx",
        "unknown order": f"/o/ON-000000-AAAAAA?t={token}",
    }.get(spoil)
    if spoil == "delivery order":  # a delivery has no pickup page, whatever is guessed
        delivery = chain.api("admin").post("/orders", json={
            "fulfilment": "delivery", "lines": [{"sku": "TEA", "quantity": 1}],
            "address": {"text": "金桥路 1号", "latitude": 31.2650, "longitude": 121.5950}})
        assert delivery.status_code == 201, delivery.json
        path = f"/o/{delivery.json['number']}?t={token}"
    assert path is not None
    r = chain.app.test_client().get(path, headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert r.status_code == 404 and r.mimetype == "text/html"
    _private(r)
    assert "Pedido no encontrado" in r.text and number not in r.text
    assert 'data-test="pickup-missing"' in r.text
