"""The sale in progress at a till: scans become lines, the shared engine prices them, tenders
settle them, and ``complete`` puts the sale in the outbox.

Prices come from the replica (the price in force when the item was scanned, which is what the
shopper saw on the screen); promotions, tax and totals come from ``retail`` — the very
functions the server runs when it checks the sale (``price_basket`` here, ``price_order``
there), so till, server and receipt agree to the cent (invariant 5). A manager's price override
changes a line's unit price, and a manager's discount on the whole sale is one more order-level
discount after the promotions: the server prices both with the same ``price_order``. Nothing
here does I/O except reading the replica and, in ``complete``, writing the outbox; the agent
asks the server about member QRs and wallet payments and tells the sale what it heard.

Prices and promotions are chosen at the server's time as the till knows it (``TillClock.now``),
not at its wall clock's, which may be hours off; the sale still records what its wall clock
read, with the clock stamp that lets the server place it (clock.py).
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pos_client.clock import Reading, TillClock
from pos_client.outbox import Outbox
from pos_client.replica import Item, Replica, StoreFacts
from retail.barcodes import (
    AddOn,
    Coupon,
    GS1Data,
    MemberQR,
    ProductCode,
    Scan,
    ScanError,
    ScannerConfig,
    VariableMeasureItem,
    classify,
)
from retail.cash import cash_rounding_step, round_cash
from retail.money import Money
from retail.pricing import DiscountInput, LineInput, PricedOrder, PricingError, line_amount, price_order
from retail.promotions import (
    BasketLine,
    Context,
    Evaluation,
    PromotionError,
    line_inputs,
    percent_of,
    price_basket,
)
from retail.tax import regime_for

MAX_QUANTITY = 100_000  # pieces; a weighed line holds grams, up to 100 kg
MAX_GRAMS = 100_000
TENDER_KINDS = ("cash", "alipay_qr", "alipay_code", "card", "points")
WALLET_KINDS = ("alipay_qr", "alipay_code")  # paid through the server's payments API
MAX_PRICE = 10**12
MANUAL_DISCOUNT_CODE = "manual"


class SaleError(ValueError):
    """Something the cashier must fix; ``code`` lets the UI pick what to show. ``status`` is
    the agent's HTTP answer: 422, or another where it says more (409: it needs the server)."""

    status = 422

    def __init__(self, message: str, code: str = "invalid", **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.data = data


class Offline(SaleError):
    """What needs the server cannot be done while it does not answer."""

    status = 409

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message, "offline", **data)


@dataclass
class SaleLine:
    sku: str
    name: str
    quantity: int  # pieces, or grams when sold by weight
    unit_price: int  # minor units per piece, or per kilogram
    sold_by: str
    tax_class: str
    category: str
    brand: str
    scanned: str = ""
    label_price: int | None = None  # the price printed on an in-store scale label
    voided: bool = False
    override_by: str | None = None  # the manager who set the price by hand
    price_was: int | None = None  # the price before the override
    variant: str = ""  # colour, length...: what tells the line from its siblings on screen

    def basket_line(self, currency: str) -> BasketLine:
        return BasketLine(self.sku, self.quantity, Money(self.unit_price, currency), self.category,
                          self.brand, self.sold_by, self.tax_class)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Tender:
    kind: str
    amount: int  # what it pays of the total
    tendered: int | None = None  # cash handed over
    reference: str = ""

    @property
    def change(self) -> int:
        return (self.tendered or self.amount) - self.amount

    def as_sale(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "amount": self.amount}
        if self.tendered is not None:
            out["tendered"] = self.tendered
        if self.reference:
            out["reference"] = self.reference
        return out


@dataclass(frozen=True)
class ManualDiscount:
    """A manager's discount on the whole sale: a percentage of what is left after the
    promotions (recomputed as the basket changes), or an amount."""

    reason: str
    by: str
    percent: Decimal | None = None
    amount: int | None = None

    def on(self, remaining: int) -> int:
        if self.percent is not None:
            return percent_of(remaining, self.percent)
        return min(self.amount or 0, remaining)  # never more than the basket, even after a void


@dataclass
class WalletPayment:
    """A payment taken through the server (Alipay QR or payment code) for this sale."""

    id: str
    kind: str  # alipay_qr or alipay_code
    amount: int
    status: str
    qr_code: str | None = None
    failure: dict[str, Any] | None = None

    @property
    def open(self) -> bool:
        return self.status in ("pending", "waiting_for_shopper")

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "method": self.kind.removeprefix("alipay_"), "kind": self.kind,
                "amount": self.amount, "status": self.status, "qr_code": self.qr_code if self.open else None,
                "failure": self.failure}


@dataclass(frozen=True)
class Gift:
    """A limited giveaway's gift the server granted for this sale: a line priced 0."""

    promotion: str  # the rule's id: the server checks the grant by it
    sku: str
    name: str
    reason: str  # the promotion's name in the store's language
    left: int  # gifts still to give after this one

    def as_dict(self) -> dict[str, Any]:
        return {"promotion": self.promotion, "sku": self.sku, "name": self.name, "reason": self.reason,
                "left": self.left}


@dataclass
class Priced:
    evaluation: Evaluation | None
    order: PricedOrder | None
    active: list[int] = field(default_factory=list)  # indices of the lines not voided
    discounts: list[DiscountInput] = field(default_factory=list)  # promotions, then the manager's
    total_before_manual: int = 0  # what the lines come to after the promotions

    @property
    def total(self) -> int:
        return self.order.total.amount if self.order else 0


class Sale:
    """One shopper's basket, from the first scan to the outbox."""

    def __init__(self, replica: Replica, cashier: str = "", clock: TillClock | None = None,
                 cash_session: str | None = None) -> None:
        self.replica = replica
        self.store: StoreFacts = replica.store()
        self.regime = regime_for(self.store.country)
        self.scanner = ScannerConfig(country=self.store.country, currency=self.store.currency)
        # Cash is rounded to the smallest coin in circulation (retail.cash): 5 cents in Canada.
        self.cash_step = cash_rounding_step(self.store.currency, self.store.country)
        self.cashier = cashier
        self.clock = clock or TillClock()
        self.cash_session = cash_session
        self.uuid = str(uuid_module.uuid4())  # the sale's identity from now until the server has it
        self.lines: list[SaleLine] = []
        self.tenders: list[Tender] = []
        self.member: dict[str, Any] | None = None  # identified by the server: number, name, points
        self.member_qr: str | None = None  # scanned offline: the server verifies it with the sale
        self.member_scan: str | None = None  # the member QR as scanned (spending points needs it)
        self.manual_discount: ManualDiscount | None = None
        self.payments: dict[str, WalletPayment] = {}
        self.payment_attempts = 0  # numbers the Idempotency-Keys of this sale's wallet payments
        self.unanswered_payment: tuple[str, dict[str, Any]] | None = None  # (key, body) of a lost answer
        self.rounding = 0  # what the cash settling the sale was rounded by (negative: paid less)
        self.points_attempts = 0  # numbers the references of this sale's point redemptions
        self.unanswered_points: str | None = None  # a redemption whose answer was lost
        self.gifts: list[Gift] = []  # granted by the server as the sale completed
        # Why no gift was given though the basket qualified: {code, detail} (offline, none left...).
        self.no_gift: dict[str, str] | None = None
        self.completed: dict[str, Any] | None = None

    @property
    def currency(self) -> str:
        return self.store.currency

    # -- lines -----------------------------------------------------------------------------

    @property
    def is_member(self) -> bool:
        return self.member is not None or self.member_qr is not None

    def classify(self, text: str) -> Scan:
        try:
            return classify(text, self.scanner)
        except ScanError as exc:
            raise SaleError(exc.reason, exc.code) from exc

    def scan(self, text: str) -> SaleLine | None:
        """Add what was scanned; a member QR marks the shopper as a member, to be verified by
        the server with the sale (returns None)."""
        scan = self.classify(text)
        if isinstance(scan, MemberQR):
            self.set_member(scan.raw, None)
            return None
        return self.add_scan(scan)

    def add_scan(self, scan: Scan) -> SaleLine:
        item, quantity, unit_price, label = self._resolve(scan)
        return self._add(item, quantity, unit_price, scan.raw, label)

    def set_member(self, member_qr: str, member: dict[str, Any] | None) -> None:
        """The shopper's member QR: ``member`` as the server identified it (number, name,
        points), or None when the server could not be asked (it checks the QR with the sale)."""
        self._editable()
        self.member_scan = member_qr
        if member is not None:
            self.member = {"number": member["number"], "name": member.get("name") or "",
                           "points": member.get("points", 0),
                           "points_value": (member.get("points_value") or {}).get("amount", 0)}
            self.member_qr = None
        else:
            self.member, self.member_qr = None, member_qr

    def add(self, code: str, quantity: int | None = None) -> SaleLine:
        """Add by SKU code, GTIN or keyed-in code; ``quantity`` is grams for weighed goods."""
        item = self.replica.by_code(code) or self.replica.by_gtin(code)
        if item is None:
            raise SaleError(f"{code} is not in this till's catalogue; search by name, or sync the till",
                            "unknown-item")
        if item.sold_by == "weight" and quantity is None:
            raise SaleError(f"{item.name} is sold by weight: weigh it and key in the grams",
                            "needs-weight", sku=item.code)
        return self._add(item, quantity or 1, self._price(item), code, None)

    def _resolve(self, scan: Scan) -> tuple[Item, int, int, int | None]:
        """(item, quantity, unit price, label price) for a scan that names a product."""
        if isinstance(scan, VariableMeasureItem):
            item = self.replica.by_gtin(scan.base_gtin) or self.replica.by_code(scan.item_code)
            if item is None:
                raise SaleError(f"scale item {scan.item_code} is not in this till's catalogue",
                                "unknown-item")
            if scan.weight_grams is not None and item.sold_by != "weight":
                raise SaleError(f"{item.name} is sold by the piece, but its label carries a weight",
                                "invalid")
            return self._labelled(item, scan.weight_grams, scan.price_minor)
        if isinstance(scan, Coupon):
            raise SaleError(f"this is a coupon ({scan.scheme}: {scan.number}), not an item or a "
                            "payment; this till does not redeem paper coupons", "coupon",
                            kind="Coupon")
        if isinstance(scan, AddOn):
            raise SaleError(f"the scanner sent the add-on {scan.digits} on its own: set it to send "
                            "add-ons with their main code", "add-on", kind="AddOn")
        gtins = scan.gtins if isinstance(scan, ProductCode | GS1Data) else ()
        if not gtins:
            raise SaleError(f"this is a {type(scan).__name__}, not an item", "not-an-item",
                            kind=type(scan).__name__)
        item = self.replica.by_gtins(gtins)
        if item is None:
            raise SaleError(f"{scan.raw} is not in this till's catalogue; ask the office to add it",
                            "unknown-item")
        if isinstance(scan, GS1Data):
            # A pack's net content (310n) is no quantity; a weighed item's label weight is.
            grams = scan.net_weight_grams if item.sold_by == "weight" else None
            return self._labelled(item, grams, scan.price_minor)
        return self._labelled(item, None, None)

    def _labelled(self, item: Item, grams: int | None, price: int | None,
                  ) -> tuple[Item, int, int, int | None]:
        """(item, quantity, unit price, label price) for what a label says: the weight, the
        amount to pay (an in-store EAN-13, GS1 392n/393n), both, or neither. The amount on a
        label is what the shopper pays; the line is made so the server prices it to that."""
        per_unit = self._price(item)
        if item.sold_by != "weight":
            if price is not None:  # a fixed-price pack labelled at the counter
                return item, 1, price, price
            return item, 1, per_unit, None
        if price is None:
            if not grams:
                raise SaleError(f"{item.name} is sold by weight: weigh it and key in the grams",
                                "needs-weight", sku=item.code)
            return item, grams, per_unit, None
        if not grams:
            grams, unit_price = grams_for_label_price(price, per_unit, self.currency)
            return item, grams, unit_price, price
        if _weighed_amount(per_unit, grams, self.currency) == price:
            return item, grams, per_unit, price
        unit_price = unit_price_for_label(price, grams, self.currency)
        if unit_price is None:  # no price per kg gives that amount at that weight
            grams, unit_price = grams_for_label_price(price, per_unit, self.currency)
        return item, grams, unit_price, price

    def _price(self, item: Item) -> int:
        price = item.price_at(self.clock.now())
        if price is None:
            raise SaleError(f"{item.name} has no price at this store; ask the office to price it",
                            "no-price", sku=item.code)
        return price

    def _add(self, item: Item, quantity: int, unit_price: int, scanned: str,
             label_price: int | None) -> SaleLine:
        self._editable()
        _check_quantity(item.sold_by, quantity)
        if item.sold_by == "unit" and label_price is None:
            # A second scan of the same item counts it again on its line: a shorter receipt.
            for line in reversed(self.lines):
                if (not line.voided and line.sku == item.code and line.unit_price == unit_price
                        and line.label_price is None and line.override_by is None):
                    _check_quantity(line.sold_by, line.quantity + quantity)
                    line.quantity += quantity
                    return line
        line = SaleLine(item.code, item.name, quantity, unit_price, item.sold_by, item.tax_class,
                        item.category, item.brand, scanned, label_price, variant=item.variant)
        self.lines.append(line)
        return line

    def set_quantity(self, index: int, quantity: int) -> SaleLine:
        line = self._line(index)
        if line.label_price is not None:
            raise SaleError("a scale label fixes its line; void it and scan another label", "invalid")
        _check_quantity(line.sold_by, quantity)
        line.quantity = quantity
        return line

    def void(self, index: int) -> SaleLine:
        line = self._line(index)
        line.voided = True
        return line

    def override_price(self, index: int, unit_price: int, manager: str) -> SaleLine:
        """A manager sets a line's price (per piece, or per kg when weighed)."""
        if (isinstance(unit_price, bool) or not isinstance(unit_price, int)
                or not 0 <= unit_price <= MAX_PRICE):
            raise SaleError(f"the price is a whole number of {self.currency} minor units", "invalid")
        line = self._line(index)
        if line.price_was is None:
            line.price_was = line.unit_price
        line.unit_price = unit_price
        line.label_price = None  # the label's printed amount no longer holds
        line.override_by = manager
        return line

    def discount(self, reason: str, manager: str, percent: Any = None, amount: Any = None) -> None:
        """A manager's discount on the whole sale, after the promotions; replaces an earlier one."""
        self._editable()
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            raise SaleError("say why: the reason is printed on the receipt", "invalid")
        if (percent is None) == (amount is None):
            raise SaleError("give either a percent or an amount", "invalid")
        if percent is not None:
            try:
                value = Decimal(str(percent))
            except InvalidOperation as exc:
                raise SaleError("the percent is a number from 0 to 100", "invalid") from exc
            if isinstance(percent, bool) or not 0 < value <= 100:
                raise SaleError("the percent is a number from 0 to 100", "invalid")
            self.manual_discount = ManualDiscount(reason[:200], manager, percent=value)
            return
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise SaleError(f"the amount is a whole number of {self.currency} minor units", "invalid")
        remaining = self.price().total_before_manual
        if amount > remaining:
            raise SaleError(f"the discount is more than the sale ({remaining})", "invalid")
        self.manual_discount = ManualDiscount(reason[:200], manager, amount=amount)

    def remove_discount(self) -> None:
        self._editable()
        self.manual_discount = None

    def _line(self, index: int) -> SaleLine:
        self._editable()
        if not 0 <= index < len(self.lines) or self.lines[index].voided:
            raise SaleError(f"there is no line {index + 1} to change", "no-line")
        return self.lines[index]

    def _editable(self) -> None:
        if self.completed is not None:
            raise SaleError("this sale is complete; start a new one", "completed")
        if self.pending_payment is not None:
            raise SaleError("an Alipay payment is waiting for the shopper; cancel it first",
                            "payment-pending")
        if self.tenders:
            raise SaleError("payments have been taken; remove them before changing the basket",
                            "paid")

    # -- pricing ---------------------------------------------------------------------------

    def price(self, at: datetime | None = None) -> Priced:
        active = [i for i, line in enumerate(self.lines) if not line.voided]
        if not active:
            return Priced(None, None, [])
        context = Context(at=at or self.clock.now(), timezone=self.store.timezone, location=self.store.code,
                          channel="pos", is_member=self.is_member, locale=self.store.language)
        basket = [self.lines[i].basket_line(self.currency) for i in active]
        try:
            evaluation, order = price_basket(basket, self.replica.rules(), context, self.regime)
            discounts = list(evaluation.discounts)
            remaining = order.subtotal.amount - order.discount_total.amount
            manual = self.manual_discount.on(remaining) if self.manual_discount else 0
            if manual > 0:
                assert self.manual_discount is not None
                # One more order-level discount, priced by the same function the server uses.
                discounts.append(DiscountInput(Money(manual, self.currency), self.manual_discount.reason,
                                               None, MANUAL_DISCOUNT_CODE))
                order = price_order(line_inputs(basket), self.regime, self.currency, discounts)
        except (PromotionError, PricingError) as exc:
            raise SaleError(f"the basket cannot be priced: {exc}", "invalid") from exc
        return Priced(evaluation, order, active, discounts, remaining)

    @property
    def paid(self) -> int:
        return sum(t.amount for t in self.tenders)

    @property
    def settled(self) -> int:
        """What the tenders settle of the total: the cash taken may be rounded."""
        return self.paid - self.rounding

    # -- tenders ---------------------------------------------------------------------------

    def pay_cash(self, tendered: int, amount: int | None = None) -> Tender:
        """Take cash: all that is due (change from ``tendered``) or ``amount`` of it (split).

        Where the smallest coins are gone, cash settling what is left is rounded to the nearest
        coin (``retail.cash``: 4.27 CAD is 4.25 in cash) and the sale records the rounding; a
        part paid in cash is a whole number of coins.
        """
        due = self._due()
        rounded = round_cash(due, self.cash_step)
        if amount is None or amount in (due, rounded):
            if tendered >= rounded:
                if rounded <= 0:
                    raise SaleError(f"{due} is less than the smallest coin: take it by card", "invalid")
                self.rounding += rounded - due
                return self._tender(Tender("cash", rounded, tendered))
            amount = tendered  # less than what is due: a part paid in cash
        if not 0 < amount <= due:
            raise SaleError(f"cash can pay between 1 and {due} ({self.currency} minor units)", "invalid")
        if amount % self.cash_step:
            raise SaleError(f"cash is paid in steps of {self.cash_step} ({self.currency} minor units): "
                            "there are no smaller coins", "cash-step", step=self.cash_step)
        if tendered < amount:
            raise SaleError(f"{tendered} handed over does not cover {amount}; ask for "
                            f"{amount - tendered} more", "short")
        return self._tender(Tender("cash", amount, tendered))

    def pay(self, kind: str, amount: int, reference: str = "") -> Tender:
        """A tender settled elsewhere (a card terminal); Alipay goes through the server."""
        if kind in WALLET_KINDS:
            raise SaleError("Alipay is taken through the server: pay with the QR or the payment code",
                            "invalid")
        if kind == "points":
            raise SaleError("points are spent through the server with the member's QR", "invalid")
        if kind not in TENDER_KINDS or kind == "cash":
            raise SaleError("tender kind is card (cash, points and Alipay have their own)", "invalid")
        due = self._due()
        if not 0 < amount <= due:
            raise SaleError(f"{kind} can pay between 1 and {due} ({self.currency} minor units)", "invalid")
        return self._tender(Tender(kind, amount, None, reference))

    def points_reference(self) -> str:
        """The reference of the next redemption for this sale (``sale:<uuid>:<n>``): the server
        accepts a points tender whose redemption names the sale, and redeems a reference once,
        so the same reference after a lost answer never spends the points twice."""
        if self.unanswered_points is not None:
            return self.unanswered_points
        self.points_attempts += 1
        return f"sale:{self.uuid}:{self.points_attempts}"

    def pay_points(self, amount: int, reference: str) -> Tender:
        """The member's points, redeemed by the server for ``amount`` of this sale."""
        due = self._due()
        if self.member is None:
            raise SaleError("points are the member's: scan their member QR first", "no-member")
        if not 0 < amount <= due:
            raise SaleError(f"points can pay between 1 and {due} ({self.currency} minor units)", "invalid")
        self.unanswered_points = None
        self.member["points_value"] = max(0, int(self.member.get("points_value") or 0) - amount)
        return self._tender(Tender("points", amount, None, reference))

    def add_wallet_payment(self, payment: WalletPayment) -> None:
        """A wallet payment the server created for this sale; its tender comes when it is paid."""
        self._due()
        self.payments[payment.id] = payment

    def update_wallet_payment(self, doc: dict[str, Any]) -> WalletPayment:
        """What the server now says about one of this sale's payments; a paid one becomes a
        tender, once, however often it is reported."""
        payment = self.payments.get(str(doc.get("id")))
        if payment is None:
            raise SaleError("this payment does not belong to the sale on the till", "no-payment")
        payment.status = str(doc.get("status") or payment.status)
        payment.qr_code = doc.get("qr_code") or payment.qr_code
        payment.failure = doc.get("failure")
        if payment.status in ("paid", "refunded_partially", "refunded_fully") and not any(
                t.reference == payment.id for t in self.tenders):
            self.tenders.append(Tender(payment.kind, payment.amount, None, payment.id))
        return payment

    @property
    def pending_payment(self) -> WalletPayment | None:
        return next((p for p in self.payments.values() if p.open), None)

    def remove_tenders(self) -> None:
        """Take back the tenders. Wallet tenders are money already taken: the agent refunds
        them through the server before it removes them."""
        if self.completed is not None:
            raise SaleError("this sale is complete", "completed")
        if self.pending_payment is not None:
            raise SaleError("an Alipay payment is waiting for the shopper; cancel it first",
                            "payment-pending")
        self.tenders.clear()
        self.rounding = 0

    def remaining(self) -> int:
        """What is still to pay (the sale must be open and have something in it)."""
        return self._due()

    def _due(self) -> int:
        if self.completed is not None:
            raise SaleError("this sale is complete; start a new one", "completed")
        total = self.price().total
        if total == 0 and not self.lines:
            raise SaleError("scan something first", "empty")
        # A wallet payment waiting for the shopper already covers its amount.
        return total - self.settled - sum(p.amount for p in self.payments.values() if p.open)

    def _tender(self, tender: Tender) -> Tender:
        self.tenders.append(tender)
        return tender

    # -- completing ------------------------------------------------------------------------

    def complete(self, outbox: Outbox, receipt_series: str | None = None) -> dict[str, Any]:
        """Queue the sale for the server, in one durable write, before anything is printed
        (numbered in ``receipt_series`` where the market wants numbered receipts).

        Calling it again returns the same sale: a double tap never makes a second one.
        """
        if self.completed is not None:
            return self.completed
        at = self.clock.read()
        priced = self.price(at.now)
        if priced.order is None:
            raise SaleError("scan something first", "empty")
        if self.pending_payment is not None:
            raise SaleError("an Alipay payment is waiting for the shopper", "payment-pending")
        if self.settled != priced.total:
            raise SaleError(f"{priced.total - self.settled} is still due ({self.currency} minor units)",
                            "unpaid", due=priced.total - self.settled)
        body = self._body(priced, at)
        outbox.add(body, receipt_series)
        self.completed = {"sale": body}
        self.completed["summary"] = self.summary(priced)  # says completed: true
        return self.completed

    def _body(self, priced: Priced, at: Reading) -> dict[str, Any]:
        """The sale in the server's schema (store_server/orders/sales.py ``SaleIn``)."""
        assert priced.order is not None and priced.evaluation is not None
        body: dict[str, Any] = {
            "uuid": self.uuid,
            "occurred_at": at.wall.isoformat(),
            "clock": at.stamp,
            "store": self.store.code,
            "currency": self.currency,
            "cashier": self.cashier,
            "cash_session": self.cash_session,
            "lines": [{"sku": line.sku, "quantity": line.quantity, "unit_price": line.unit_price}
                      for line in (self.lines[i] for i in priced.active)]
            # The gifts go last, priced 0: the discounts' line numbers stay those of the basket.
            + [{"sku": g.sku, "quantity": 1, "unit_price": 0, "gift": g.promotion} for g in self.gifts],
            "discounts": [{"amount": d.amount.amount, "reason": d.reason[:200], "line": d.line,
                           "code": d.code} for d in priced.discounts],
            "tenders": [t.as_sale() for t in self.tenders],
            "tax_total": priced.order.tax_total.amount,
            "total": priced.order.total.amount,
        }
        if self.rounding:
            body["cash_rounding"] = self.rounding
        if self.member is not None:
            body["member"] = self.member["number"]
        elif self.member_qr is not None:
            body["member_qr"] = self.member_qr
        return body

    # -- gifts -------------------------------------------------------------------------------

    def gift_candidates(self, priced: Priced | None = None) -> list[Any]:
        """The limited gifts this basket qualifies for (the engine's ``giveaway_candidates``);
        only the server can grant them, since it counts them."""
        priced = priced or self.price()
        return list(priced.evaluation.giveaway_candidates) if priced.evaluation else []

    def add_gift(self, promotion: str, sku: str, reason: str, left: int) -> Gift:
        """A gift the server granted for this sale: it goes out with the sale, priced 0."""
        gift = next((g for g in self.gifts if g.promotion == promotion), None)
        if gift is None:
            gift = Gift(promotion, sku, _gift_name(self.replica, sku), reason, left)
            self.gifts.append(gift)
        return gift

    def gift_state(self, priced: Priced | None = None) -> dict[str, Any] | None:
        """What the screens say about the opening gift: given (with how many are left), why
        not (offline, none left), or that the basket qualifies and the server will be asked."""
        if self.gifts:
            return {"state": "given", **self.gifts[0].as_dict()}
        if self.no_gift is not None:
            return {"state": "none", **self.no_gift}
        if self.completed is not None:
            return None
        try:
            candidates = self.gift_candidates(priced)
        except SaleError:
            return None
        if not candidates:
            return None
        first = candidates[0]
        return {"state": "qualifies", "promotion": first.rule_id, "sku": first.gift_sku,
                "name": _gift_name(self.replica, first.gift_sku), "reason": first.reason}

    def summary(self, priced: Priced | None = None) -> dict[str, Any]:
        """Everything the till's screen shows, in minor units."""
        priced = priced or self.price()
        order = priced.order
        by_line = {i: n for n, i in enumerate(priced.active)}
        lines = []
        for i, line in enumerate(self.lines):
            p = order.lines[by_line[i]] if order is not None and i in by_line else None
            lines.append({"index": i, "sku": line.sku, "name": line.name, "variant": line.variant,
                          "quantity": line.quantity,
                          "sold_by": line.sold_by, "unit_price": line.unit_price,
                          "label_price": line.label_price, "voided": line.voided,
                          "gross": p.gross.amount if p else 0, "discount": p.discount.amount if p else 0,
                          "net": p.net.amount if p else 0,
                          "override": ({"by": line.override_by, "was": line.price_was}
                                       if line.override_by else None)})
        total = priced.total
        manual = self.manual_discount
        pending = self.pending_payment
        return {
            "uuid": self.uuid, "store": self.store.code, "currency": self.currency,
            "cashier": self.cashier, "cash_session": self.cash_session,
            "member": self.member if self.member is not None else (
                {"pending": True} if self.member_qr is not None else None),
            "lines": lines,
            "discounts": [{"line": d.line, "amount": d.amount.amount, "reason": d.reason, "code": d.code,
                           **({"by": manual.by} if manual and d.code == MANUAL_DISCOUNT_CODE else {})}
                          for d in priced.discounts],
            "subtotal": order.subtotal.amount if order else 0,
            "discount_total": order.discount_total.amount if order else 0,
            "taxes": [{"rate": str(t.rate), "base": t.base.amount, "tax": t.tax.amount}
                      for t in (order.taxes if order else ())],
            "tax_total": order.tax_total.amount if order else 0,
            "prices_include_tax": self.regime.prices_include_tax,
            "total": total, "paid": self.paid, "due": total - self.settled,
            "rounding": self.rounding, "cash_step": self.cash_step,
            # What cash settles what is left: the due, rounded where coins are missing.
            "cash_due": round_cash(total - self.settled, self.cash_step) if total > self.settled else 0,
            "gift": self.gift_state(priced),
            "tenders": [{**t.as_sale(), "change": t.change} for t in self.tenders],
            "change": sum(t.change for t in self.tenders),
            "payment": pending.as_dict() if pending else None,
            "completed": self.completed is not None,
        }


def _gift_name(replica: Replica, sku: str) -> str:
    item = replica.by_code(sku)
    return item.name if item is not None else sku


def _check_quantity(sold_by: str, quantity: int) -> None:
    limit = MAX_GRAMS if sold_by == "weight" else MAX_QUANTITY
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= limit:
        unit = "grams" if sold_by == "weight" else "pieces"
        raise SaleError(f"quantity is a whole number of {unit} from 1 to {limit}", "invalid")


def grams_for_label_price(price: int, per_kg: int, currency: str) -> tuple[int, int]:
    """(grams, price per kg) that ``price_order`` turns into exactly ``price``.

    A price-embedded scale label states what the shopper pays, not the weight. The server
    recomputes a weighed line as ``per_kg × grams / 1000`` (rounded half up), so we look for
    the weight nearest the label's implied one that gives the label's amount at today's price
    per kg; failing that (the scale used another price), the nearest price per kg that does.
    """
    if per_kg > 0:
        estimate = max(1, round(price * 1000 / per_kg))
        nearby = sorted(range(max(1, estimate - 5), estimate + 6), key=lambda g: abs(g - estimate))
        for grams in nearby:
            if _weighed_amount(per_kg, grams, currency) == price:
                return grams, per_kg
        for grams in nearby:
            unit = unit_price_for_label(price, grams, currency)
            if unit is not None:
                return grams, unit
    return 1000, price  # a kilogram at the label's price: the amount is right, if not the weight


def unit_price_for_label(price: int, grams: int, currency: str) -> int | None:
    """The price per kg that ``price_order`` turns into exactly ``price`` for ``grams``, if any
    (above a kilogram, one minor unit per kg moves the amount by more than one)."""
    guess = round(price * 1000 / grams)
    for unit in (guess, guess - 1, guess + 1):
        if unit >= 0 and _weighed_amount(unit, grams, currency) == price:
            return unit
    return None


def _weighed_amount(per_kg: int, grams: int, currency: str) -> int:
    return line_amount(LineInput("", grams, Money(per_kg, currency), sold_by="weight")).amount
