"""Returns at the till: find the sale from its receipt QR, take items back, refund the shopper
on the tenders they paid with.

The sale comes from the server (``GET /sales/<uuid>``: every till's sales, with what was
returned already) or, when the server does not answer or has not heard of it yet, from this
till's own outbox. Returns this till made that the server has not recorded yet count as
returned too, so nothing is refunded twice while a return waits to sync.

Refunds per line use ``retail.returns`` (the server checks the return with the same code), and
go back to the original tenders: wallet and card payments first (Alipay through the server's
``POST /payments/<id>/refunds``, its Idempotency-Key made from the return's UUID), then cash from
the drawer. A return is written to the outbox before its first refund is asked for (state
``refunding``), and becomes final once every refund is answered; a till that loses the server
or its power in between finishes the refunds from the sync loop with the same keys, which the
server answers with the same refunds. Then it is sent like a sale (``POST /sync/returns``).
"""

from __future__ import annotations

import logging
import uuid as uuid_module
from collections import Counter
from typing import Any

from pos_client.clock import Reading
from pos_client.outbox import Document, Outbox
from pos_client.replica import Replica
from pos_client.sale import WALLET_KINDS, Offline, SaleError
from pos_client.server_api import Refused, ServerApi, Unreachable
from retail.barcodes import ReceiptQR, ScanError, classify
from retail.money import Money
from retail.pricing import DiscountInput, LineInput, PricingError, price_order
from retail.returns import ReturnError, line_refund, return_refunds
from retail.tax import regime_for

log = logging.getLogger(__name__)


class UnknownSale(SaleError):
    status = 404


class RefundPending(SaleError):
    """A wallet refund without a final answer yet: the till finishes it when the server answers."""

    status = 409


class RefundRefused(SaleError):
    """The server or the wallet refused a refund: that money cannot go back that way."""


def sale_uuid_of(code: Any) -> str:
    """The sale a receipt QR (or a sale UUID keyed in) names."""
    text = code.strip() if isinstance(code, str) else ""
    try:
        return str(uuid_module.UUID(text))
    except ValueError:
        pass
    try:
        scan = classify(text)
    except ScanError as exc:
        raise SaleError(exc.reason, "unreadable") from exc
    if not isinstance(scan, ReceiptQR):
        raise SaleError(f"this is a {type(scan).__name__}, not a receipt QR", "not-a-receipt")
    return str(scan.sale_id)


def find_sale(code: Any, api: ServerApi, outbox: Outbox, replica: Replica, online: bool) -> dict[str, Any]:
    """The sale to return from, with what can still come back of each line and tender."""
    uuid = sale_uuid_of(code)
    recorded = None
    if online:
        try:
            recorded = api.sale(uuid)
        except Unreachable:
            pass
        except Refused as exc:
            if exc.status == 403:
                raise SaleError("this sale was made at another store: it is returned there",
                                "other-store") from exc
            if exc.status != 404:
                raise SaleError(exc.detail, exc.code or "refused") from exc
    source = "server"
    if recorded is None:
        recorded = _sale_from_outbox(uuid, outbox, replica)
        source = "till"
        if recorded is None:
            if online:
                raise UnknownSale("this sale is not on the server yet (a till that was offline may still "
                                  "hold it); try again later", "unknown-sale")
            raise Offline("the server does not answer, and this sale was not made at this till")
    # What the server counted is named in its answer; anything else this till returned from the
    # sale counts on top. (Not "what is marked sent here": a return can reach the server between
    # our read of the sale and our read of the outbox, and would then be counted by neither.)
    counted = {r["uuid"] for r in recorded.get("returns", ())} if source == "server" else set()
    _add_local_returns(recorded, [r for r in outbox.returns_of(uuid) if r.uuid not in counted])
    for line in recorded["lines"]:
        line["returnable"] = max(0, line["quantity"] - line["returned"])
        line["refundable"] = (line_refund(line["net"], line["quantity"], line["returned"], line["returnable"])
                              if line["returnable"] else 0)
    recorded["source"] = source
    return recorded


def _sale_from_outbox(uuid: str, outbox: Outbox, replica: Replica) -> dict[str, Any] | None:
    """One of this till's own sales, priced again from its body as the server prices it."""
    record = outbox.get(uuid)
    if record is None:
        return None
    sale = record["sale"]
    store = replica.store()
    currency = sale["currency"]
    items = [replica.by_code(line["sku"]) for line in sale["lines"]]
    try:
        priced = price_order(
            [LineInput(line["sku"], line["quantity"], Money(line["unit_price"], currency),
                       item.tax_class if item else "standard", item.sold_by if item else "unit")
             for line, item in zip(sale["lines"], items, strict=True)],
            regime_for(store.country), currency,
            [DiscountInput(Money(d["amount"], currency), d["reason"], d.get("line"), d.get("code", ""))
             for d in sale["discounts"]])
    except PricingError as exc:
        raise SaleError(f"this sale cannot be priced again here: {exc}", "invalid") from exc
    return {
        "uuid": uuid, "number": record["order"] or uuid[:8].upper(), "store": sale.get("store"),
        "occurred_at": sale["occurred_at"], "currency": currency, "cashier": sale.get("cashier", ""),
        "total": sale["total"],
        "lines": [{"line": i, "sku": line["sku"], "name": item.name if item else line["sku"],
                   "quantity": line["quantity"], "sold_by": item.sold_by if item else "unit",
                   "unit_price": line["unit_price"], "net": p.net.amount, "returned": 0}
                  for i, (line, item, p) in enumerate(zip(sale["lines"], items, priced.lines, strict=True))],
        "tenders": [{"kind": t["kind"], "amount": t["amount"], "reference": t.get("reference", ""),
                     "refunded": 0} for t in sale["tenders"]],
        "refunded_total": 0,
    }


def _add_local_returns(recorded: dict[str, Any], returns: list[Document]) -> None:
    """Count this till's returns of the sale that the recorded sale does not include yet:
    quantities back per line, refunds per tender."""
    back: Counter[int] = Counter()
    by_payment: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    for document in returns:
        for line in document.body["lines"]:
            back[line["line"]] += line["quantity"]
        for refund in (document.detail or document.body).get("refunds", ()):
            if refund["kind"] in WALLET_KINDS:
                by_payment[refund.get("payment", "")] += refund["amount"]
            else:
                by_kind[refund["kind"]] += refund["amount"]
        recorded["refunded_total"] += document.body["total"]
    for line in recorded["lines"]:
        line["returned"] += back[line["line"]]
    for tender in recorded["tenders"]:
        left = tender["amount"] - tender["refunded"]
        pool = by_payment if tender["kind"] in WALLET_KINDS else by_kind
        key = tender["reference"] if tender["kind"] in WALLET_KINDS else tender["kind"]
        more = min(left, pool[key])
        pool[key] -= more
        tender["refunded"] += more


def plan_refunds(tenders: list[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    """``total`` spread over the sale's tenders: wallet and card first, in the order paid
    (the money goes back where it came from), then cash; never more than a tender has left."""
    order = [t for t in tenders if t["kind"] != "cash"] + [t for t in tenders if t["kind"] == "cash"]
    left = total
    refunds: list[dict[str, Any]] = []
    for tender in order:
        take = min(left, tender["amount"] - tender["refunded"])
        if take <= 0:
            continue
        left -= take
        if tender["kind"] == "cash" and refunds and refunds[-1]["kind"] == "cash":
            refunds[-1]["amount"] += take
            continue
        refund = {"kind": tender["kind"], "amount": take, "reference": ""}
        if tender["kind"] in WALLET_KINDS:
            refund["payment"] = tender["reference"]
        elif tender["kind"] != "cash":
            refund["reference"] = tender["reference"]
        refunds.append(refund)
    if left:
        raise SaleError(f"the sale's tenders have only {total - left} left to refund", "over-refund")
    return refunds


def make_return(sale: dict[str, Any], wanted: Any, reason: Any, *, api: ServerApi, outbox: Outbox,
                online: bool, store: str, cashier: str, cash_session: str,
                at: Reading) -> dict[str, Any]:
    """Take back ``wanted`` (``[{line, quantity}]``) of ``sale`` (as ``find_sale`` gave it) and
    refund it; the return is in the outbox, final, when this answers."""
    pairs = _wanted(wanted)
    lines = [(ln["net"], ln["quantity"]) for ln in sale["lines"]]
    returned = {ln["line"]: ln["returned"] for ln in sale["lines"]}
    try:
        refunds_by_line = return_refunds(lines, returned, pairs)
    except ReturnError as exc:
        raise SaleError(str(exc), exc.code, line=exc.line) from exc
    total = sum(refunds_by_line.values())
    plan = plan_refunds(sale["tenders"], total)
    wallet = [r for r in plan if r["kind"] in WALLET_KINDS]
    if wallet and not online:
        raise Offline("this sale was paid with Alipay: its refund needs the server; try again when "
                      "the till is online")
    uuid = str(uuid_module.uuid4())
    body = {
        "uuid": uuid, "original_sale": sale["uuid"], "occurred_at": at.wall.isoformat(),
        "clock": at.stamp, "store": store,
        "currency": sale["currency"], "cashier": cashier, "cash_session": cash_session,
        "reason": (reason.strip() if isinstance(reason, str) else "")[:200],
        "lines": [{"line": line, "quantity": qty} for line, qty in pairs],
        "refunds": [_sent(r) for r in plan], "total": total,
    }
    detail = _detail(sale, pairs, refunds_by_line, plan)
    # Durable before any money moves: a till that dies now finishes the refunds later.
    outbox.add_document("return", body, state="refunding" if wallet else "waiting",
                        original=sale["uuid"], detail=detail)
    state, note = "waiting", None
    if wallet:
        try:
            body = finish_refunds(outbox, api, uuid)
        except RefundRefused:
            outbox.drop_refunding(uuid)  # no money moved: the return never happened
            raise
        except RefundPending as exc:
            # The cash part goes back now; the wallet part when the server answers.
            state, note = "refunding", exc.message
    return {"uuid": uuid, "total": total, "refunds": body["refunds"],
            "cash": sum(r["amount"] for r in plan if r["kind"] == "cash"), "state": state, "note": note}


def finish_refunds(outbox: Outbox, api: ServerApi, uuid: str) -> dict[str, Any]:
    """Ask the server for each wallet refund of a ``refunding`` return (again, with the same
    keys: never refunded twice), and make the return final once all are paid."""
    document = outbox.document(uuid)
    if document is None or document.state != "refunding":
        raise SaleError("this return is not waiting for a refund", "no-return")
    detail = document.detail or {}
    refunds = detail["refunds"]
    for refund in refunds:
        if refund["kind"] not in WALLET_KINDS or refund.get("reference"):
            continue
        try:
            doc = api.refund_payment(refund["payment"], refund["amount"], document.body["reason"] or "return",
                                     key=f"return:{uuid}:{refund['payment']}")
        except Unreachable as exc:
            raise RefundPending("the Alipay refund did not get an answer; the till finishes it when the "
                                "server answers (do not pay it in cash)", "refund-pending") from exc
        except Refused as exc:
            raise RefundRefused(f"the Alipay refund was refused: {exc.detail}",
                                exc.code or "refund-refused") from exc
        answer = doc.get("refund") or {}
        if answer.get("status") == "failed":
            raise RefundRefused(f"Alipay did not refund: {answer.get('failure_reason') or 'refused'}",
                                "refund-refused")
        if answer.get("status") != "succeeded":
            raise RefundPending("Alipay has not confirmed the refund yet; the till finishes the return "
                                "when it does", "refund-pending")
        refund["reference"] = answer["out_request_no"]
    body = {**document.body, "refunds": [_sent(r) for r in refunds]}
    outbox.finish_refunding(uuid, body, {**detail, "refunds": refunds})
    return body


def resume_refunds(outbox: Outbox, api: ServerApi) -> None:
    """The sync loop's part: finish returns whose wallet refunds were left unanswered. A refund
    refused now is the manager's to sort out (the return's cash part went back already)."""
    for document in outbox.documents("return", "refunding"):
        try:
            finish_refunds(outbox, api, document.uuid)
        except RefundPending:
            return
        except RefundRefused as exc:
            log.warning("return %s: %s", document.uuid, exc.message)
            outbox.reject_refunding(document.uuid, exc.code, exc.message)


def _wanted(wanted: Any) -> list[tuple[int, int]]:
    if not isinstance(wanted, list) or not wanted:
        raise SaleError("pick the lines to return: [{line, quantity}]", "invalid")
    pairs = []
    for entry in wanted:
        line = entry.get("line") if isinstance(entry, dict) else None
        qty = entry.get("quantity") if isinstance(entry, dict) else None
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (line, qty)):
            raise SaleError("each line to return is {line, quantity} in whole numbers", "invalid")
        pairs.append((line, qty))
    return pairs  # type: ignore[return-value]


def _sent(refund: dict[str, Any]) -> dict[str, Any]:
    return {"kind": refund["kind"], "amount": refund["amount"], "reference": refund.get("reference", "")}


def _detail(sale: dict[str, Any], pairs: list[tuple[int, int]], refunds_by_line: dict[int, int],
            plan: list[dict[str, Any]]) -> dict[str, Any]:
    """What the till keeps beside the body: payment ids and the lines as the receipt shows them."""
    by_index = {ln["line"]: ln for ln in sale["lines"]}
    return {"refunds": plan, "sale_number": sale["number"],
            "lines": [{"line": i, "name": by_index[i]["name"], "sku": by_index[i]["sku"], "quantity": q,
                       "sold_by": by_index[i]["sold_by"], "refund": refunds_by_line[i]} for i, q in pairs]}
