"""Everything one till holds while it runs, and what a cashier does with it: sign in, open the
drawer's session, sell, take payments, return, close the day.

The HTTP layer (``agent``) only turns requests into calls on ``TillRuntime`` and the answers
back into JSON; the work is in ``sale``, ``payments``, ``returns``, ``cash_session``,
``cashiers``, ``printing``, and the outbox and sync loop underneath. One lock guards the sale
in progress and the session: the till has one cashier and one basket at a time, and the lock
makes a double tap land once. Waiting on the server for a wallet payment happens outside it.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from pos_client import payments, returns
from pos_client.cash_session import cash_report, close_cash_session, move_cash, open_cash_session
from pos_client.cashiers import Cashier, CashierBook
from pos_client.clock import TillClock, shown_time
from pos_client.config import Credentials, TillConfig
from pos_client.outbox import Outbox
from pos_client.printing import (
    TillPrinter,
    cash_report_items,
    copy_job_id,
    receipt_data,
    return_items,
)
from pos_client.replica import Replica, StoreFacts
from pos_client.sale import WALLET_KINDS, Offline, Sale, SaleError
from pos_client.server_api import Refused, ServerApi, Unreachable
from pos_client.sync import SyncLoop
from retail.barcodes import MemberQR
from retail.money import currency_exponent
from retail.receipt import numbers_receipts, printable

log = logging.getLogger(__name__)


class SignedOut(SaleError):
    status = 401

    def __init__(self) -> None:
        super().__init__("sign in with your PIN first", "signed-out")


class NoSession(SaleError):
    def __init__(self) -> None:
        super().__init__("open the cash session (count the float into the drawer) before selling",
                         "no-session")


@dataclass
class TillRuntime:
    config: TillConfig
    credentials: Credentials
    replica: Replica
    outbox: Outbox
    sync: SyncLoop
    cashiers: CashierBook
    printer: TillPrinter
    cashier: Cashier | None = None
    sale: Sale | None = None
    last_completed: str | None = None  # the sale a reprint without a UUID copies
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def api(self) -> ServerApi:
        return self.sync.api

    @property
    def clock(self) -> TillClock:
        """The till's clocks; every answer of the server sets what it knows of the server's time."""
        return self.api.clock

    @property
    def till_name(self) -> str:
        return str(self.credentials.device.get("name", ""))

    @property
    def reachable(self) -> bool:
        """Worth asking the server: nothing it was asked lately went unanswered (the breaker is
        closed; a background probe closes it again when the server answers)."""
        return not self.api.breaker.open

    # -- who is at the till ----------------------------------------------------------------

    def sign_in(self, username: Any, pin: Any) -> Cashier:
        if not isinstance(username, str) or not isinstance(pin, str) or not username or not pin:
            raise SaleError("send your username and PIN", "invalid")
        cashier = self.cashiers.sign_in(username, pin, online=self.reachable)
        with self.lock:
            self.cashier = cashier
            if self.sale is not None and self.sale.completed is None:
                self.sale.cashier = cashier.username  # the next cashier carries on the basket
        return cashier

    def sign_out(self) -> None:
        with self.lock:
            self.cashier = None

    def signed_in(self) -> Cashier:
        if self.cashier is None:
            raise SignedOut()
        return self.cashier

    # -- the cash session ------------------------------------------------------------------

    def session(self) -> dict[str, Any] | None:
        return self.outbox.open_session_now()

    def open_session(self, float_amount: Any) -> dict[str, Any]:
        cashier = self.signed_in()
        with self.lock:
            session = open_cash_session(self.outbox, float_amount, cashier.username,
                                        self.replica.store().currency, self.clock.read())
        self.printer.kick_drawer(f"drawer-{secrets.token_hex(8)}")  # the float goes in
        return session

    def move_cash(self, kind: Any, amount: Any, reason: Any) -> dict[str, Any]:
        cashier = self.signed_in()
        with self.lock:
            movement = move_cash(self.outbox, self._open_session(), kind, amount, reason, cashier.username,
                                 self.clock.read())
        self.printer.kick_drawer(f"drawer-{secrets.token_hex(8)}")
        return movement

    def report(self) -> dict[str, Any]:
        self.signed_in()
        return for_screen(cash_report(self.outbox, self._open_session(), self.till_name))

    def close_session(self, counted: Any) -> dict[str, Any]:
        cashier = self.signed_in()
        with self.lock:
            session = self._open_session()
            sale = self.sale
            if sale is not None and sale.completed is None and (sale.lines or sale.payments):
                raise SaleError("a sale is in progress; complete it or discard it before closing",
                                "in-progress")
            report = close_cash_session(self.outbox, session, counted, cashier.username, self.till_name,
                                        self.clock.read())
            self.sale = None
        store = self.replica.store()
        self.printer.document(lambda columns, display: cash_report_items(
            report, store.locale, store.timezone, columns, display), job_id=f"z-{report['uuid']}",
            locale=store.locale)
        self.sync.wake()
        return for_screen(report)

    def _open_session(self) -> dict[str, Any]:
        session = self.session()
        if session is None:
            raise NoSession()
        return session

    # -- the sale --------------------------------------------------------------------------

    def current_sale(self, fresh: bool = False) -> Sale:
        """The sale being rung up; a new one after the last was completed."""
        if self.sale is None or (fresh and self.sale.completed is not None):
            session = self.session()
            self.sale = Sale(self.replica, self.cashier.username if self.cashier else "", self.clock,
                             cash_session=session["uuid"] if session else None)
        return self.sale

    def selling(self, fresh: bool = False) -> Sale:
        """The sale, for a change to it: needs a cashier and an open session."""
        cashier = self.signed_in()
        session = self._open_session()
        sale = self.current_sale(fresh)
        if sale.completed is None:
            sale.cashier, sale.cash_session = cashier.username, session["uuid"]
        return sale

    def new_sale(self, discard: bool) -> Sale:
        self.signed_in()
        current = self.sale
        if current is not None and current.completed is None:
            if current.lines and not discard:
                raise SaleError("a sale is in progress; complete it, or discard it first", "in-progress")
            if current.pending_payment is not None or any(t.kind in WALLET_KINDS
                                                           for t in current.tenders):
                raise SaleError("Alipay has been paid on this sale: remove the payments first (the "
                                "shopper gets the money back), then discard it", "wallet-paid")
            if any(t.kind == "points" for t in current.tenders):
                raise SaleError("points paid part of this sale: remove the payments first (the "
                                "member gets the points back), then discard it", "points-paid")
        self.sale = None
        return self.current_sale()

    def scan(self, code: Any) -> Sale:
        if not isinstance(code, str):
            raise SaleError("send 'code' as a JSON string", "invalid")
        sale = self.selling(fresh=True)
        scan = sale.classify(code)
        if not isinstance(scan, MemberQR):
            sale.add_scan(scan)
            return sale
        member = None
        if self.reachable:
            try:
                member = self.api.identify_member(scan.raw)
            except Unreachable:
                member = None  # the server checks the QR when the sale reaches it
            except Refused as exc:
                raise SaleError(exc.detail, exc.code or "member-qr-refused") from exc
        sale.set_member(scan.raw, member)
        return sale

    def authorise(self, manager: Any, pin: Any) -> Cashier:
        if not isinstance(manager, str) or not isinstance(pin, str) or not manager or not pin:
            raise SaleError("a manager enters their username and PIN", "manager-pin")
        return self.cashiers.authorise(manager, pin)

    def remove_tenders(self) -> Sale:
        sale = self.selling()
        if any(t.kind in WALLET_KINDS for t in sale.tenders):
            payments.refund_wallet_tenders(self.api, sale)
        if any(t.kind == "points" for t in sale.tenders):
            payments.give_back_points(self.api, sale)
        sale.remove_tenders()
        return sale

    def take_points(self, amount: Any) -> Sale:
        """The member pays (part of) the sale with their points, redeemed by the server."""
        if not self.reachable:
            raise Offline("the till is offline: spending points needs the server; take cash")
        sale = self.selling()
        payments.take_points(self.api, sale, amount)
        return sale

    def complete(self) -> dict[str, Any]:
        sale = self.selling()
        already = sale.completed is not None
        if not already:
            self._ask_for_gifts(sale)
        done = sale.complete(self.outbox, self.receipt_series())  # durable before the receipt prints
        if not already:
            self.sync.wake()
            self.last_completed = sale.uuid
            cash = any(t.kind == "cash" for t in sale.tenders)
            self._print_receipt(done["sale"], job_id=sale.uuid, open_drawer=cash)
        return done

    def receipt_series(self) -> str | None:
        """The series this till numbers its receipts in (``T<device id>``: one per till, so tills
        that sell offline never share a number), where the store's market wants numbers."""
        if not numbers_receipts(self.replica.store().country):
            return None
        return f"T{self.credentials.device.get('id', '')}"

    def _ask_for_gifts(self, sale: Sale) -> None:
        """Ask the server for the limited gifts the paid basket qualifies for, once per sale.

        Only the server counts gifts (at most N, invariant 7), so an offline till gives none and
        says why. The grant's reference is the sale's UUID: a double tap, a retry or a lost
        answer never takes a second gift, and a gift granted for a sale that arrives without
        it (the till did not hear the answer) goes back to the pool on the server.
        """
        if sale.gifts or (sale.no_gift is not None and sale.no_gift["code"] != "offline"):
            return  # asked already for this sale
        priced = sale.price()
        if priced.order is None or sale.settled != priced.total or sale.pending_payment is not None:
            return  # not paid yet: completing refuses it anyway
        candidates = sale.gift_candidates(priced)
        if not candidates:
            return
        if not self.reachable:
            sale.no_gift = {"code": "offline", "detail": "the till is offline: only the server can give "
                                                         "a limited gift, since it counts them"}
            return
        spend = priced.order.subtotal.amount - priced.order.discount_total.amount
        sale.no_gift = None
        for candidate in candidates:
            try:
                answer = self.api.grant_gift(candidate.rule_id, sale.uuid, sale.store.code, spend)
            except Unreachable:
                sale.no_gift = {"code": "offline", "detail": "the server did not answer: no gift can be "
                                                             "given for this sale"}
                return
            except Refused as exc:
                gone = exc.status == 409 and exc.problem.get("remaining") == 0
                sale.no_gift = {"code": "none-left" if gone else "refused", "detail": exc.detail}
                continue
            sale.add_gift(candidate.rule_id, str(answer["gift_sku"]), candidate.reason,
                          int(answer["remaining"]))
            sale.no_gift = None

    def reprint(self, uuid: Any) -> dict[str, Any]:
        self.signed_in()
        uuid = uuid if isinstance(uuid, str) and uuid else self.last_completed
        record = self.outbox.get(uuid) if uuid else None
        if record is None:
            raise returns.UnknownSale("no sale of this till to reprint", "unknown-sale")
        job = self._print_receipt(record["sale"], job_id=copy_job_id(record["sale"]["uuid"]), copy=True)
        return {"uuid": record["sale"]["uuid"], "job": job}

    def _print_receipt(self, body: dict[str, Any], *, job_id: str, open_drawer: bool = False,
                       copy: bool = False) -> str:
        store = self.replica.store()
        try:
            data = receipt_data(body, self.replica, store, self.till_name, self.config.receipt_base_url)
            return self.printer.sale_receipt(data, store.locale, job_id=job_id, open_drawer=open_drawer,
                                             copy=copy)
        except Exception as exc:  # noqa: BLE001 (the sale is safe; a receipt problem is reported)
            log.warning("receipt for %s cannot be made: %s", body["uuid"], exc)
            self.printer.outcomes[job_id] = f"not printed: {exc}"
            if open_drawer:
                self.printer.kick_drawer(f"drawer-{secrets.token_hex(8)}")
            return job_id

    # -- wallet payments -------------------------------------------------------------------

    def take_alipay(self, method: Any, amount: Any, auth_code: Any) -> tuple[Sale, Any]:
        if not self.reachable:
            raise Offline("the till is offline: Alipay needs the server; take cash")
        with self.lock:
            sale = self.selling()
            return sale, payments.take_wallet_payment(self.api, sale, method, amount, auth_code)

    def follow_alipay(self, payment_id: str, wait: float, seen: str | None) -> tuple[Sale, Any]:
        with self.lock:
            sale = self.selling()
            payment = sale.payments.get(payment_id)
            if payment is None:
                raise SaleError("this payment does not belong to the sale on the till", "no-payment")
            seen = seen or payment.status
        doc = payments.wait_for_payment(self.api, payment_id, wait, seen)  # not holding the lock
        with self.lock:
            if self.sale is not sale:
                raise SaleError("the sale this payment was for is no longer on the till", "no-payment")
            return sale, sale.update_wallet_payment(doc)

    def cancel_alipay(self, payment_id: str) -> tuple[Sale, Any]:
        with self.lock:
            sale = self.selling()
            return sale, payments.cancel_wallet_payment(self.api, sale, payment_id)

    # -- returns ---------------------------------------------------------------------------

    def find_sale(self, code: Any) -> dict[str, Any]:
        self.signed_in()
        return returns.find_sale(code, self.api, self.outbox, self.replica, self.reachable)

    def make_return(self, original: Any, lines: Any, reason: Any) -> dict[str, Any]:
        cashier = self.signed_in()
        session = self._open_session()
        store = self.replica.store()
        with self.lock:  # one return at a time: the second sees the first's quantities
            sale = returns.find_sale(original, self.api, self.outbox, self.replica, self.reachable)
            done = returns.make_return(sale, lines, reason, api=self.api, outbox=self.outbox,
                                       online=self.reachable, store=store.code, cashier=cashier.username,
                                       cash_session=session["uuid"], at=self.clock.read())
        document = self.outbox.document(done["uuid"])
        assert document is not None and document.detail is not None
        body, detail = {**document.body, "refunds": done["refunds"]}, document.detail
        self.printer.document(lambda columns, display: return_items(
            body, detail, store, self.till_name, columns, display),
            job_id=f"return-{done['uuid']}", locale=store.locale, open_drawer=done["cash"] > 0)
        self.sync.wake()
        return done

    def close(self) -> None:
        """Stop the sync loop, the server probe and the printer, and close the till's files."""
        self.sync.stop()
        self.api.close()
        self.printer.stop()
        self.replica.close()
        self.outbox.close()

    # -- what the screens show -------------------------------------------------------------

    def store_facts(self) -> StoreFacts | None:
        return self.replica.store() if self.replica.ready else None

    def status(self) -> dict[str, Any]:
        out = self.sync.status()
        store = self.store_facts()
        session = self.session()
        out.update(
            device=self.credentials.device, store=self.credentials.store,
            catalogue=self.replica.counts() if self.replica.ready else None,
            store_name=printable(store.name) if store else None, language=store.language if store else None,
            locale=store.locale if store else None, currency=store.currency if store else None,
            currency_exponent=currency_exponent(store.currency) if store else None,
            cashier=self.cashier.as_dict() if self.cashier else None,
            session=({**{k: session[k] for k in ("uuid", "opened_at", "float", "opened_by")},
                      "opened_shown": shown_time(session, "opened_at", "opened_clock")}
                     if session else None),
            timezone=store.timezone if store else None,
            alipay=bool(out["online"]), clock=self.clock.status(),
            printer=self.printer.outcomes.get(self.printer.last or "") if self.printer.last else None,
            print_waiting=self.printer.waiting())
        return out

    def display(self) -> dict[str, Any]:
        """The customer screen: read without the lock (a payment code may hold it for seconds)."""
        store = self.store_facts()
        sale = self.sale
        out: dict[str, Any] = {
            "lines": [], "total": 0, "due": 0, "paid": 0, "change": 0, "qr_code": None,
            "currency": store.currency if store else None, "language": store.language if store else None,
            "locale": store.locale if store else None,
            "currency_exponent": currency_exponent(store.currency) if store else None,
            "member": None, "message": "welcome", "discounts": [], "discount_total": 0,
        }
        if self.cashier is None or self.session() is None:
            out["message"] = "closed"
            return out
        if sale is None or not sale.lines:
            return out
        try:
            summary = sale.completed["summary"] if sale.completed else sale.summary()
        except (SaleError, RuntimeError):  # the basket changed under us: the next poll shows it
            return out
        payment = summary.get("payment")
        gift = summary.get("gift")
        out.update(
            # The opening gift: given (with how many are left), or why not; the rounding of cash.
            gift={**gift, "name": printable(str(gift.get("name", ""))),
                  "reason": printable(str(gift.get("reason", "")))} if gift else None,
            rounding=summary.get("rounding", 0), cash_due=summary.get("cash_due", 0),
            online=self.reachable)
        out.update(
            # Names and reasons from the catalogue, printable as on paper (retail.receipt).
            lines=[{"index": ln["index"], "name": printable(ln["name"]), "variant": printable(ln["variant"]),
                    "quantity": ln["quantity"], "sold_by": ln["sold_by"], "unit_price": ln["unit_price"],
                    "gross": ln["gross"], "discount": ln["discount"], "net": ln["net"]}
                   for ln in summary["lines"] if not ln["voided"]],
            # Each discount with its reason, as the receipt will say it (the line's own under it).
            discounts=[{"reason": printable(d["reason"]), "amount": d["amount"], "line": d["line"]}
                       for d in summary["discounts"]],
            discount_total=summary["discount_total"],
            total=summary["total"], due=summary["due"], paid=summary["paid"], change=summary["change"],
            member=summary["member"], message="sale")
        if sale.completed is not None:
            out["message"] = "paid"
        elif payment is not None:
            out["qr_code"] = payment["qr_code"]
            out["message"] = "pay-qr" if payment["kind"] == "alipay_qr" else "pay-code"
        return out


def for_screen(report: dict[str, Any]) -> dict[str, Any]:
    """An X or Z report as the screen shows it: beside each time as recorded, the time the
    paper prints (``shown``: the server's time the till knew then), so the screen and the paper
    agree however wrong the till's clock was; the page shows them in the store's time zone."""
    shown = {"opened": shown_time(report, "opened_at", "opened_clock")}
    if report.get("closed_at"):
        shown["closed"] = shown_time(report, "closed_at", "closed_clock")
    return {**report, "shown": shown,
            "movements": [{**m, "shown_at": shown_time(m, "at")} for m in report["movements"]]}
