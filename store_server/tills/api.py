"""HTTP for tills beyond the sale: read a recorded sale, push returns, push and read Z reports."""

from __future__ import annotations

from typing import Any

from store_server.api import Ctx, operation
from store_server.api.auth import MANAGERS, STAFF, TERMINALS, TILLS
from store_server.tills.cash_sessions import (
    CashSessionListOut,
    CashSessionOut,
    CashSessionsQuery,
    ZReportIn,
    close_cash_session,
    list_cash_sessions,
    read_cash_session,
)
from store_server.tills.returns import (
    RecordedSaleOut,
    ReturnsBatchIn,
    ReturnsBatchOut,
    ingest_returns,
    recorded_sale,
)


@operation("GET", "/sales/<sale_uuid>", summary="A till sale as recorded, with what was returned",
           tag="sync", roles=TERMINALS | STAFF, response=RecordedSaleOut)
def get_sale(ctx: Ctx, sale_uuid: str) -> dict[str, Any]:
    """By the UUID the till gave the sale (its receipt QR carries it). Lines keep the index the
    till sent them with, and say how much of each came back; tenders say what was refunded on
    them. A 404 ``unknown-sale`` may only mean the selling till has not synced it yet. The
    store's tills and staff only."""
    return recorded_sale(ctx.session, sale_uuid, ctx.who)


# Like /sync/sales, not `idempotent=True`: each return carries its own UUID, which makes a
# resent batch land exactly once return by return.
@operation("POST", "/sync/returns", summary="Push returns of recorded sales; each is accepted once",
           tag="sync", roles=TILLS, body=ReturnsBatchIn, response=ReturnsBatchOut)
def post_returns(ctx: Ctx, body: ReturnsBatchIn) -> dict[str, Any]:
    """Per return: `accepted` (recorded now: stock back on hand), `duplicate` (recorded before
    with the same content; the same number again) or `rejected` with a `code` and a `reason`.
    `unknown-sale` means the sale has not reached the server yet: send the return again after
    the sale. Refunds must go back to the sale's own tenders; an Alipay refund's `reference`
    is the `out_request_no` of the succeeded refund the till asked the server for."""
    return ingest_returns(ctx.session, ctx.who, body)


@operation("POST", "/sync/cash-sessions", summary="Push a closed cash session's Z report; filed once",
           tag="sync", roles=TILLS, body=ZReportIn, response=CashSessionOut, problems=(409,))
def post_cash_session(ctx: Ctx, body: ZReportIn) -> dict[str, Any]:
    """`status: accepted` the first time, `duplicate` when the same report comes again; a
    different report for a session already filed is a 409. A report whose arithmetic does not
    add up (expected cash, difference) is a 422. The answer carries the server's figures for
    the session, as managers see them."""
    return close_cash_session(ctx.session, ctx.who, body)


@operation("GET", "/cash-sessions", summary="A store's Z reports of a day, with the server's figures",
           tag="tills", roles=MANAGERS, query=CashSessionsQuery, response=CashSessionListOut,
           problems=(404,))
def get_cash_sessions(ctx: Ctx) -> dict[str, Any]:
    """Sessions closed on the store's local day. Per session: the till's figures, `server` (the
    sales and returns recorded with the session's UUID, by tender), `complete` (every sale and
    return the till counted has arrived) and `matches` (the figures agree)."""
    q: CashSessionsQuery = ctx.query
    return list_cash_sessions(ctx.session, ctx.who, q.store, q.date)


@operation("GET", "/cash-sessions/<session_uuid>", summary="One Z report, with the server's figures",
           tag="tills", roles=MANAGERS, response=CashSessionOut)
def get_cash_session(ctx: Ctx, session_uuid: str) -> dict[str, Any]:
    return read_cash_session(ctx.session, ctx.who, session_uuid)
