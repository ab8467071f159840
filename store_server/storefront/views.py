"""Public pages a shopper's phone opens from a code: the product page from a shelf QR (GS1
Digital Link), the e-receipt from the QR on a printed till receipt, and the pickup page from
the order QR of a click & collect order."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, make_response, render_template, request
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from hardware.qr import qr_svg
from retail.gs1 import InvalidGTIN, validate_gtin
from retail.money import Money
from retail.prices import price_in_force
from retail.receipt import SUPPORTED_LOCALES, ReceiptFormatter
from store_server.api.framework import db_session
from store_server.catalog.models import PriceList
from store_server.catalog.service import price_windows, sku_documents, sku_id_by_gtin
from store_server.devices.models import Device
from store_server.errors import DomainError
from store_server.inventory.models import StockLevel
from store_server.inventory.service import available_to_sell
from store_server.locations.models import Location
from store_server.orders.models import Order, OrderDiscount, OrderLine, OrderTax, OrderTender
from store_server.orders.service import pickup_qr
from store_server.tills.models import SaleReturn, SaleReturnLine
from store_server.validation import canonical_uuid

storefront = Blueprint("storefront", __name__, template_folder="templates")
LANGUAGES = ("es", "zh", "ru", "en", "pt", "de", "fr")


def _language(names: dict[str, str]) -> str:
    wanted = request.args.get("lang") or request.accept_languages.best_match(LANGUAGES) or "en"
    return wanted if wanted in names else ("en" if "en" in names else next(iter(names), "en"))


@storefront.get("/01/<gtin>")
@storefront.get("/01/<gtin>/<path:rest>")
def product_page(gtin: str, rest: str = "") -> Any:
    """Digital Link resolver: further AIs (batch, serial) in the path are accepted and shown."""
    try:
        validate_gtin(gtin)
    except InvalidGTIN:
        abort(404)
    session = db_session()
    try:
        sku_id = sku_id_by_gtin(session, gtin)
    except DomainError:
        abort(404)
    doc = sku_documents(session, [sku_id])[sku_id]
    lang = _language(doc["names"])
    now = datetime.now(UTC)
    stores = []
    for location in session.execute(
        select(Location).where(Location.active.is_(True)).order_by(Location.name)
    ).scalars():
        price_list = session.get(PriceList, location.price_list_id) if location.price_list_id else None
        amount = None
        if price_list:
            amount = price_in_force(price_windows(session, price_list.id, [sku_id]).get(sku_id, []), now)
        level = session.execute(select(StockLevel).where(
            StockLevel.location_id == location.id, StockLevel.sku_id == sku_id)).scalar_one_or_none()
        stores.append({
            "name": location.name,
            "kind": location.kind,
            "price": Money(amount, location.currency).format(location.locale)
            if amount is not None else None,
            "available": available_to_sell(level.on_hand, level.reserved, level.safety_stock)
            if level else 0,
        })
    return render_template("storefront/product.html", sku=doc, lang=lang, stores=stores,
                           extra_path=rest)


# --- the e-receipt ----------------------------------------------------------------------------

# The page's own few words; the receipt's words are retail.receipt's, as on the paper.
PAGE_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your receipt", "returns": "Returns", "refunded": "Refunded",
        "missing_title": "Receipt not found",
        "missing": "This receipt is not on the server yet — a till that was offline may still be "
            "sending it; try again later.",
        "pickup_title": "Your order", "pickup_at": "Collect at",
        "pickup_show": "Show this code at the counter to collect your order.",
        "pickup_missing_title": "Order not found",
        "pickup_missing": "Check the link in your order message.", "status_waiting": "Waiting for payment",
        "status_preparing": "Being prepared", "status_ready": "Ready to collect",
        "status_collected": "Collected", "status_cancelled": "Cancelled",
    },
    "es": {
        "title": "Su ticket", "returns": "Devoluciones", "refunded": "Reembolsado",
        "missing_title": "Ticket no encontrado",
        "missing": "Este ticket aún no está en el servidor — puede que una caja que estaba sin "
            "conexión todavía lo esté enviando; vuelva a intentarlo más tarde.",
        "pickup_title": "Su pedido", "pickup_at": "Recogida en",
        "pickup_show": "Muestre este código en el mostrador para recoger su pedido.",
        "pickup_missing_title": "Pedido no encontrado",
        "pickup_missing": "Compruebe el enlace del mensaje de su pedido.",
        "status_waiting": "Pendiente de pago", "status_preparing": "En preparación",
        "status_ready": "Listo para recoger", "status_collected": "Recogido",
        "status_cancelled": "Cancelado",
    },
    "zh": {
        "title": "电子小票", "returns": "退货", "refunded": "已退款", "missing_title": "未找到小票",
        "missing": "服务器上还没有这张小票——离线的收银台可能仍在上传；请稍后再试。",
        "pickup_title": "您的订单", "pickup_at": "自提门店",
        "pickup_show": "取货时请在柜台出示此二维码。", "pickup_missing_title": "未找到订单",
        "pickup_missing": "请检查订单消息中的链接。",
        "status_waiting": "待付款", "status_preparing": "备货中", "status_ready": "可取货",
        "status_collected": "已取货", "status_cancelled": "已取消",
    },
    "ru": {
        "title": "Ваш чек", "returns": "Возвраты", "refunded": "Возвращено",
        "missing_title": "Чек не найден",
        "missing": "Этого чека ещё нет на сервере — касса, работавшая без связи, может всё ещё его "
            "отправлять; попробуйте позже.",
        "pickup_title": "Ваш заказ", "pickup_at": "Пункт выдачи",
        "pickup_show": "Покажите этот код на кассе, чтобы получить заказ.",
        "pickup_missing_title": "Заказ не найден",
        "pickup_missing": "Проверьте ссылку в сообщении о заказе.", "status_waiting": "Ожидает оплаты",
        "status_preparing": "Собирается", "status_ready": "Готов к выдаче", "status_collected": "Получен",
        "status_cancelled": "Отменён",
    },
    "pt": {
        "title": "Seu cupom", "returns": "Devoluções", "refunded": "Reembolsado",
        "missing_title": "Cupom não encontrado",
        "missing": "Este cupom ainda não está no servidor — um caixa que estava offline pode ainda "
            "estar enviando; tente novamente mais tarde.",
        "pickup_title": "Seu pedido", "pickup_at": "Retirada em",
        "pickup_show": "Mostre este código no balcão para retirar seu pedido.",
        "pickup_missing_title": "Pedido não encontrado",
        "pickup_missing": "Confira o link na mensagem do seu pedido.",
        "status_waiting": "Aguardando pagamento", "status_preparing": "Em preparação",
        "status_ready": "Pronto para retirada", "status_collected": "Retirado",
        "status_cancelled": "Cancelado",
    },
    "de": {
        "title": "Ihr Beleg", "returns": "Rückgaben", "refunded": "Erstattet",
        "missing_title": "Beleg nicht gefunden",
        "missing": "Dieser Beleg ist noch nicht auf dem Server — eine Kasse, die offline war, sendet"
            " ihn vielleicht noch; versuchen Sie es später erneut.",
        "pickup_title": "Ihre Bestellung", "pickup_at": "Abholung in",
        "pickup_show": "Zeigen Sie diesen Code an der Kasse, um Ihre Bestellung abzuholen.",
        "pickup_missing_title": "Bestellung nicht gefunden",
        "pickup_missing": "Prüfen Sie den Link in Ihrer Bestellnachricht.",
        "status_waiting": "Wartet auf Zahlung", "status_preparing": "Wird vorbereitet",
        "status_ready": "Abholbereit", "status_collected": "Abgeholt", "status_cancelled": "Storniert",
    },
    "fr": {
        "title": "Votre ticket", "returns": "Retours", "refunded": "Remboursé",
        "missing_title": "Ticket introuvable",
        "missing": "Ce ticket n'est pas encore sur le serveur — une caisse hors ligne est peut-être "
            "encore en train de l'envoyer ; réessayez plus tard.",
        "pickup_title": "Votre commande", "pickup_at": "Retrait à",
        "pickup_show": "Présentez ce code au comptoir pour retirer votre commande.",
        "pickup_missing_title": "Commande introuvable",
        "pickup_missing": "Vérifiez le lien dans le message de votre commande.",
        "status_waiting": "En attente de paiement", "status_preparing": "En préparation",
        "status_ready": "Prête à retirer", "status_collected": "Retirée", "status_cancelled": "Annulée",
    },
}
TILL_CHANNELS = ("pos", "kiosk")


def _private(response: Response) -> Response:
    """The sale's UUID is the page's only key: no shared cache keeps the page (nor the 404,
    which must not outlive the till's next sync), no search engine lists it, and no referrer
    carries the address elsewhere."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _receipt_locale(store_locale: str) -> str:
    """The store's locale, as on the paper; ``?lang=`` (a language, or a full locale) may ask
    for another. A language the store speaks keeps the store's locale (its tax words)."""
    wanted = request.args.get("lang") or ""
    if wanted in SUPPORTED_LOCALES:
        return wanted
    if wanted not in LANGUAGES or store_locale.split("_")[0] == wanted:
        return store_locale
    return next((loc for loc in SUPPORTED_LOCALES if loc.startswith(wanted + "_")), store_locale)


def _missing_receipt() -> Response:
    lang = request.args.get("lang", "").split("_")[0]
    if lang not in PAGE_WORDS:
        lang = request.accept_languages.best_match(LANGUAGES) or "en"
    page = render_template("storefront/receipt.html", missing=True, lang=lang, words=PAGE_WORDS[lang])
    return _private(make_response(page, 404))


def _name_in(names: dict[str, str], locale: str, fallback: str) -> str:
    """A product's name for ``locale``: es_ES, then es, then English, then any it has."""
    return (names.get(locale) or names.get(locale.split("_")[0]) or names.get("en")
            or next(iter(names.values()), fallback))


@storefront.get("/r/<sale_id>")
def e_receipt(sale_id: str) -> Response:
    """The e-receipt a printed receipt's QR opens (``retail.barcodes.receipt_qr_url``).

    What the paper says, in the store's language, from the sale as recorded (its lines,
    discounts, taxes and tenders are the figures the server checked and the books use), and
    the returns made against it since. Only till and kiosk sales have a page: the random
    client UUID is the key, and an online order has none. A sale not here yet is a readable
    404: its till may still be offline with the sale in its outbox.
    """
    canonical = canonical_uuid(sale_id)
    if canonical is None:
        return _missing_receipt()
    session = db_session()
    order = session.execute(select(Order).where(
        Order.client_uuid == canonical, Order.channel.in_(TILL_CHANNELS))).scalar_one_or_none()
    if order is None:
        return _missing_receipt()
    location = session.get(Location, order.location_id)
    assert location is not None
    locale = _receipt_locale(location.locale)
    lang = locale.split("_")[0]
    fmt = ReceiptFormatter(locale)
    zone = ZoneInfo(location.timezone)

    def money(amount: int) -> str:
        return Money(amount, order.currency).format(locale)

    lines = session.execute(select(OrderLine).where(OrderLine.order_id == order.id)
                            .order_by(OrderLine.line_no)).scalars().all()
    docs = sku_documents(session, sorted({ln.sku_id for ln in lines}))
    discounts = session.execute(select(OrderDiscount).where(OrderDiscount.order_id == order.id)
                                .order_by(OrderDiscount.id)).scalars().all()
    line_discounts: dict[int, list[OrderDiscount]] = defaultdict(list)
    for d in discounts:
        if d.line_no is not None:
            line_discounts[d.line_no].append(d)
    names = {ln.line_no: _name_in(docs[ln.sku_id]["names"] if ln.sku_id in docs else {}, locale, ln.sku_code)
             for ln in lines}
    shown_lines = []
    for ln in lines:
        if ln.sold_by == "weight":
            detail = f"{fmt.weight(ln.quantity)} × {fmt.per_kg(Money(ln.unit_price, order.currency))}"
        else:
            detail = f"{ln.quantity} × {money(ln.unit_price)}" if ln.quantity != 1 else ""
        if ln.gift:  # a giveaway's gift, priced 0
            detail = fmt.labels["gift"]
        shown_lines.append({
            "name": names[ln.line_no], "detail": detail, "amount": money(ln.gross),
            "discounts": [{"reason": d.reason, "amount": money(-d.amount)}
                          for d in line_discounts[ln.line_no]]})

    included = order.prices_include_tax
    taxes = []
    for t in session.execute(select(OrderTax).where(OrderTax.order_id == order.id)
                             .order_by(OrderTax.id)).scalars():
        rate = Decimal(t.rate) * 100
        if rate == 0:
            continue
        # As the paper states it: the base is net of the tax it contains, or the taxed net.
        base = t.base - t.tax if included else t.base
        name = fmt.labels["tax_included"] if included else fmt.labels["tax"]
        taxes.append({"label": f"{name} {fmt.rate(rate)} {fmt.labels['tax_base']} {money(base)}",
                      "amount": money(t.tax)})

    tenders = session.execute(select(OrderTender).where(OrderTender.order_id == order.id)
                              .order_by(OrderTender.id)).scalars().all()
    change = sum(t.change for t in tenders)
    device = session.get(Device, order.device_id) if order.device_id else None
    returns = _returns_of(session, order.id, names, fmt, zone, money)
    receipt = {
        "store": {"name": location.name, "legal_name": location.legal_name, "tax_id": location.tax_id,
                  "address": [part.strip() for part in location.address.splitlines() if part.strip()]},
        # As printed: the number in its till's series, or (where none is needed) the UUID's start.
        "sale_number": order.receipt_number or canonical[:8].upper(),
        "order_number": order.number,
        "when": fmt.when(order.occurred_at.astimezone(zone)),
        "cashier": order.cashier, "till": device.name if device else "",
        "lines": shown_lines,
        "subtotal": money(order.subtotal) if discounts or not included else None,
        "basket_discounts": [{"reason": d.reason, "amount": money(-d.amount)}
                             for d in discounts if d.line_no is None],
        "discount_total": money(-order.discount_total) if discounts else None,
        "tax_included": included, "taxes": taxes,
        "total": money(order.total),
        "rounding": money(order.cash_rounding) if order.cash_rounding else None,
        "tenders": [{"label": fmt.labels.get(t.kind, t.kind), "amount": money(t.tendered or t.amount)}
                    for t in tenders],
        "change": money(change) if change > 0 else None,
        "returns": returns,
    }
    page = render_template("storefront/receipt.html", missing=False, lang=lang, labels=fmt.labels,
                           words=PAGE_WORDS.get(lang, PAGE_WORDS["en"]), receipt=receipt)
    return _private(make_response(page))


def _returns_of(session: Session, order_id: int, names: dict[int, str], fmt: ReceiptFormatter,
                zone: ZoneInfo, money: Callable[[int], str]) -> list[dict[str, Any]]:
    """The returns made against a sale, oldest first: number, time, what came back, refund."""
    returns = session.execute(select(SaleReturn).where(SaleReturn.order_id == order_id)
                              .order_by(SaleReturn.occurred_at, SaleReturn.id)).scalars().all()
    if not returns:
        return []
    items: dict[int, list[str]] = defaultdict(list)
    for return_id, line_no, quantity, sold_by in session.execute(
            select(SaleReturnLine.return_id, SaleReturnLine.line_no, SaleReturnLine.quantity,
                   OrderLine.sold_by)
            .join(OrderLine, (OrderLine.order_id == order_id) & (OrderLine.line_no == SaleReturnLine.line_no))
            .where(SaleReturnLine.return_id.in_([r.id for r in returns]))
            .order_by(SaleReturnLine.return_id, SaleReturnLine.line_no)):
        amount = fmt.weight(quantity) if sold_by == "weight" else f"{quantity} ×"
        items[return_id].append(f"{amount} {names.get(line_no, '')}")
    return [{"number": r.number, "when": fmt.when(r.occurred_at.astimezone(zone)),
             "lines": items[r.id], "refunded": money(r.total)} for r in returns]


# --- the pickup page ----------------------------------------------------------------------------

# What the shopper is told of each order status: a few words, not the back office's states.
PICKUP_STATUS = {
    "pending": "status_waiting", "reserved": "status_waiting", "paid": "status_preparing",
    "picking": "status_preparing", "ready": "status_ready", "completed": "status_collected",
    "cancelled": "status_cancelled", "expired": "status_cancelled",
}


def _missing_order() -> Response:
    lang = request.args.get("lang", "").split("_")[0]
    if lang not in PAGE_WORDS:
        lang = request.accept_languages.best_match(LANGUAGES) or "en"
    page = render_template("storefront/pickup.html", missing=True, lang=lang, words=PAGE_WORDS[lang])
    return _private(make_response(page, 404))


@storefront.get("/o/<number>")
def pickup_page(number: str) -> Response:
    """The click & collect order a shopper's order QR opens (``retail.barcodes.order_qr_url``
    with ``?t=`` its pickup token): the order's items, where it stands and the store to
    collect it from, in the store's language.

    The token the QR carries is the key, compared in constant time: an unknown order and a wrong
    token get the same readable 404, so numbers cannot be probed. The page shows nothing about
    the shopper (no name, phone or email: the link may be forwarded) and is never cached,
    indexed or sent on as a referrer, like the e-receipt.
    """
    token = request.args.get("t", "")
    session = db_session()
    order = session.execute(select(Order).where(
        Order.number == number, Order.channel == "online", Order.fulfilment == "pickup")
    ).scalar_one_or_none()
    if order is None or not token or not secrets.compare_digest(token, order.pickup_token or ""):
        return _missing_order()
    location = session.get(Location, order.location_id)
    assert location is not None
    locale = _receipt_locale(location.locale)
    lang = locale.split("_")[0]
    words = PAGE_WORDS.get(lang, PAGE_WORDS["en"])
    fmt = ReceiptFormatter(locale)

    def money(amount: int) -> str:
        return Money(amount, order.currency).format(locale)

    status = order.status
    if status == "reserved" and order.expires_at is not None and order.expires_at < datetime.now(UTC):
        status = "expired"  # the expiry worker has not come round yet; the stock is not held
    lines = session.execute(select(OrderLine).where(OrderLine.order_id == order.id)
                            .order_by(OrderLine.line_no)).scalars().all()
    docs = sku_documents(session, sorted({ln.sku_id for ln in lines}))
    shown_lines = []
    for ln in lines:
        name = _name_in(docs[ln.sku_id]["names"] if ln.sku_id in docs else {}, locale, ln.sku_code)
        quantity = fmt.weight(ln.quantity) if ln.sold_by == "weight" else f"{ln.quantity} ×"
        shown_lines.append({"name": name, "quantity": quantity, "amount": money(ln.net)})
    # The order QR itself, for staff to scan at the counter, while the order is still to collect.
    qr = (Markup(qr_svg(pickup_qr(current_app.config["PUBLIC_URL"], order, order.pickup_token) or ""))
          if status in ("paid", "picking", "ready") else None)
    pickup = {
        "number": order.number, "status": status, "qr": qr,
        "status_text": words[PICKUP_STATUS.get(status, "status_waiting")],
        "lines": shown_lines, "total": money(order.total),
        "store": {"name": location.name,
                  "address": [part.strip() for part in location.address.splitlines() if part.strip()]},
    }
    page = render_template("storefront/pickup.html", missing=False, lang=lang, words=words,
                           labels=fmt.labels, pickup=pickup)
    return _private(make_response(page))
