"""Closing the day at the till: Z reports as the till states them, beside what the server saw.

A cashier opens a cash session with a float, pays cash in and out, and closes it by counting
the drawer; the till prints a Z report and sends it here once (``/sync/cash-sessions``, keyed
by the session's UUID: the same report again is a duplicate, a different one under the same
UUID a conflict). The till's arithmetic is checked (expected cash = float + cash sales - cash
refunds + cash in - cash out; difference = counted - expected), so a report that does not add
up is refused rather than filed.

The till may close a session while some of its sales still wait in its outbox; so a report is
shown with what the server recorded for that session (sales and returns carrying its UUID, by
tender) and ``complete`` says whether every sale the till counted has arrived. A manager then
reads "expected 412.50, counted 410.00, short 2.50" against sales the server holds, not just
against the till's word.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store_server.api.auth import Principal
from store_server.db import transaction, utcnow
from store_server.devices.clock import ClockStamp, PushClock, flag, place_in_time
from store_server.devices.models import Device
from store_server.errors import Conflict, Forbidden, InvalidInput, NotFound
from store_server.events.service import NewEvent, record_many
from store_server.locations.models import Location
from store_server.locations.service import get_location
from store_server.orders.models import Order, OrderTender
from store_server.orders.sales import TenderKind
from store_server.tills.models import CashSession, SaleReturn, SaleReturnRefund
from store_server.validation import AwareMoment, CurrencyCode, Day, canonical_uuid

Amount = Annotated[int, Field(ge=0, le=10**12)]


class CashMovementIn(BaseModel):
    kind: Literal["in", "out"] = Field(description="cash put into the drawer, or taken out")
    amount: int = Field(gt=0, le=10**12)
    reason: str = Field("", max_length=200)
    at: AwareMoment = Field(description="the device's clock when the cash moved")
    clock: ClockStamp | None = Field(None, description="the device's clocks NTP does not step, read "
                                                       "with at")
    cashier: str = Field("", max_length=80)


class ZReportIn(BaseModel):
    """A closed cash session as the till counted it. Money in minor units."""

    model_config = ConfigDict(populate_by_name=True)

    uuid: UUID = Field(description="the session's UUID, made by the till when it opened it")
    till: str = Field("", max_length=120, description="the till's device name")
    opened_at: AwareMoment = Field(description="the device's clock when the session opened")
    closed_at: AwareMoment = Field(description="the device's clock when the session closed")
    opened_clock: ClockStamp | None = Field(None, description="the device's clocks NTP does not "
                                                              "step, read with opened_at")
    closed_clock: ClockStamp | None = Field(None, description="... read with closed_at")
    opened_by: str = Field("", max_length=80)
    closed_by: str = Field("", max_length=80)
    currency: CurrencyCode
    opening_float: Amount = Field(alias="float", description="cash in the drawer at opening")
    movements: list[CashMovementIn] = Field(default_factory=list, max_length=1000)
    sales_count: int = Field(ge=0, le=10**7)
    returns_count: int = Field(ge=0, le=10**7)
    sales_by_tender: dict[TenderKind, Amount] = Field(default_factory=dict)
    refunds_by_tender: dict[TenderKind, Amount] = Field(default_factory=dict)
    cash_rounding: int | None = Field(
        None, ge=-(10**12), le=10**12,
        description="what the session's cash sales were rounded by to the coins in circulation "
                    "(retail.cash; negative: shoppers paid less than the totals). The cash sales "
                    "already hold what was taken, so expected cash does not add it again")
    expected_cash: int = Field(ge=-(10**12), le=10**12)
    counted_cash: Amount
    difference: int = Field(ge=-(10**12), le=10**12, description="counted - expected; short < 0")
    # Not part of the report (a resend carries new ones and is still the same report).
    sent_at: AwareMoment | None = Field(None, description="the device's clock as it sends the "
                                                            "report (afresh on every retry)")
    sent_clock: ClockStamp | None = Field(None, description="the device's clocks NTP does not step, "
                                                            "read as it sends the report")


class ServerFiguresOut(BaseModel):
    sales_count: int
    returns_count: int
    sales_by_tender: dict[str, int]
    refunds_by_tender: dict[str, int]
    cash_rounding: int = Field(0, description="the cash rounding of the sales the server recorded")
    expected_cash: int = Field(description="the till's float and cash in/out with the cash the "
                                           "server recorded")


class CashSessionOut(BaseModel):
    uuid: str
    store: str
    till: str
    currency: str
    opened_at: str = Field(description="on the server's clock (the till's corrected)")
    closed_at: str = Field(description="on the server's clock: the store day it is filed under")
    device_opened_at: str | None = Field(None, description="the till's clock as it read")
    device_closed_at: str | None = None
    opened_by: str
    closed_by: str
    float: int
    movements: list[dict[str, Any]]
    cash_in: int
    cash_out: int
    sales_count: int
    returns_count: int
    sales_by_tender: dict[str, int]
    refunds_by_tender: dict[str, int]
    cash_rounding: int = Field(0, description="cash sales rounded by, as the till counted")
    expected_cash: int
    counted_cash: int
    difference: int
    server: ServerFiguresOut
    complete: bool = Field(description="the server holds every sale and return the till counted")
    matches: bool = Field(description="the server's figures by tender are the till's")
    received_at: str
    review_flags: list[dict[str, str]] = Field(description="for the manager: the till's clock far "
                                                           "off, the times out of order...")
    status: Literal["accepted", "duplicate"] | None = Field(None, description="when pushed")


class ReviewOut(BaseModel):
    kind: Literal["sale", "return"]
    number: str
    till: str
    occurred_at: str = Field(description="on the server's clock")
    device_occurred_at: str | None = Field(description="the till's clock as it read")
    total: int
    flags: list[dict[str, str]]


class CashSessionListOut(BaseModel):
    store: str
    date: str
    timezone: str
    sessions: list[CashSessionOut]
    to_review: list[ReviewOut] = Field(description="the day's till sales and returns flagged for the "
                                                   "manager: odd times, prices not the list's")


class ZReportMismatch(InvalidInput):
    code = "z-report-does-not-add-up"
    title = "The Z report does not add up"


def cash_moved(movements: list[dict[str, Any]]) -> tuple[int, int]:
    """Cash put in and cash taken out of the drawer during a session."""
    return (sum(m["amount"] for m in movements if m["kind"] == "in"),
            sum(m["amount"] for m in movements if m["kind"] == "out"))


def expected_cash(opening_float: int, movements: list[dict[str, Any]], cash_sales: int,
                  cash_refunds: int) -> int:
    """Float + cash sales - cash refunds + cash in - cash out: what the drawer should hold."""
    cash_in, cash_out = cash_moved(movements)
    return opening_float + cash_sales - cash_refunds + cash_in - cash_out


def close_cash_session(session: Session, device: Principal, report: ZReportIn) -> dict[str, Any]:
    """File a till's Z report once; the same report again answers ``duplicate``."""
    if device.kind != "device" or device.store_id is None:
        raise Forbidden("Z reports are sent by a till paired with a store")
    location = session.get(Location, device.store_id)
    assert location is not None, "a paired device always has its store"
    if report.currency != location.currency:
        raise InvalidInput(f"{location.code} counts cash in {location.currency}, the report is in "
                           f"{report.currency}")
    # What the till reported, as hashed to tell a resend from another report: without the push's
    # own clock readings, and without absent stamps (so reports from tills that stamp nothing
    # hash as they always did).
    document = report.model_dump(mode="json", by_alias=True, exclude_none=True,
                                 exclude={"sent_at", "sent_clock"})
    expected = expected_cash(report.opening_float, document["movements"],
                             report.sales_by_tender.get("cash", 0), report.refunds_by_tender.get("cash", 0))
    if report.expected_cash != expected:
        raise ZReportMismatch(
            f"expected_cash should be {expected} (float + cash sales - cash refunds + cash in - "
            f"cash out), the report says {report.expected_cash}", expected_cash=expected)
    if report.difference != report.counted_cash - report.expected_cash:
        raise ZReportMismatch(
            f"difference should be counted - expected = {report.counted_cash - report.expected_cash}, "
            f"the report says {report.difference}",
            difference=report.counted_cash - report.expected_cash)
    content_hash = hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()
    times = _place_report(report, document, PushClock(utcnow(), report.sent_at, report.sent_clock))
    uuid = str(report.uuid)
    for _ in range(3):
        try:
            with transaction(session):
                filed = session.execute(
                    select(CashSession).where(CashSession.uuid == uuid)).scalar_one_or_none()
                if filed is not None:
                    if filed.location_id != location.id:
                        raise Conflict("this UUID belongs to a cash session of another store")
                    if filed.content_hash != content_hash:
                        raise Conflict("a different Z report was filed for this cash session; a "
                                       "session is closed once", code_detail="z-report-differs")
                    return {**_documents(session, [filed], location.code)[0], "status": "duplicate"}
                filed = CashSession(
                    uuid=uuid, content_hash=content_hash, location_id=location.id, device_id=device.id,
                    till=report.till or device.name, currency=report.currency,
                    opened_at=times.opened_at, closed_at=times.closed_at,
                    device_opened_at=report.opened_at, device_closed_at=report.closed_at,
                    opened_by=report.opened_by, closed_by=report.closed_by,
                    opening_float=report.opening_float, expected_cash=report.expected_cash,
                    counted_cash=report.counted_cash, difference=report.difference,
                    sales_count=report.sales_count, returns_count=report.returns_count,
                    report=times.document, received_at=utcnow(), review_flags=times.flags,
                    needs_review=bool(times.flags))
                session.add(filed)
                session.flush()
                doc = _documents(session, [filed], location.code)[0]
                record_many(session, [NewEvent("cash_session.closed", "cash_session", uuid, doc,
                                               location_id=location.id)])
                return {**doc, "status": "accepted"}
        except IntegrityError:
            # The same report arrived twice at once; the loser reads the winner's row.
            session.rollback()
    raise Conflict("this Z report is being filed by another request; send it again in a moment")


@dataclass(frozen=True, slots=True)
class _ReportTimes:
    opened_at: dt.datetime
    closed_at: dt.datetime
    document: dict[str, Any]  # the report with each cash movement placed on our clock
    flags: list[dict[str, str]]


def _place_report(report: ZReportIn, document: dict[str, Any], push: PushClock) -> _ReportTimes:
    """The session's opening, closing and cash movements on our clock (see devices/clock.py).

    Closing decides the store day the report is filed under, so a till whose clock ran a day
    fast files today's Z under today. Time alone never refuses a report: odd times are flagged.
    """
    opened = place_in_time(report.opened_at, report.opened_clock, push)
    closed = place_in_time(report.closed_at, report.closed_clock, push)
    flags = list(closed.flags)
    flags += [f for f in opened.flags if f["code"] not in {g["code"] for g in flags}]
    opened_at = opened.at
    if opened_at > closed.at:
        # A clock stepped mid-shift with no stamps to undo it: the session cannot end before it began.
        flags.append(flag("times-out-of-order", f"the till's times put the opening "
                                                f"({opened.at.isoformat(timespec='seconds')}) after "
                                                "the closing: the opening is shown at the closing"))
        opened_at = closed.at
    movements = []
    for raw, movement in zip(document["movements"], report.movements, strict=True):
        placed = place_in_time(movement.at, movement.clock, push)
        movements.append({**raw, "at": placed.at.isoformat(), "device_at": raw["at"]})
    return _ReportTimes(opened_at, closed.at, {**document, "movements": movements}, flags)


class CashSessionsQuery(BaseModel):
    store: str | None = Field(None, max_length=40, description="store code; a manager's own store by default")
    date: Day | None = Field(None, description="the store's local day the sessions closed on; today "
                                                "by default")


def list_cash_sessions(session: Session, who: Principal, store: str | None,
                       day: dt.date | None) -> dict[str, Any]:
    """The Z reports of a store's day (sessions closed that day, the store's time), by till."""
    if store is not None:
        location = get_location(session, store)
    elif who.store_id is not None:
        location = session.get(Location, who.store_id)  # type: ignore[assignment]
        assert location is not None
    else:
        raise InvalidInput("say which store: ?store=CODE", field="store")
    who.require_location(location.id)
    zone = ZoneInfo(location.timezone)
    day = day or dt.datetime.now(zone).date()
    start = dt.datetime.combine(day, dt.time(0), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    rows = list(session.execute(
        select(CashSession).where(CashSession.location_id == location.id,
                                  CashSession.closed_at >= start, CashSession.closed_at < end)
        .order_by(CashSession.till, CashSession.closed_at)).scalars())
    return {"store": location.code, "date": day.isoformat(), "timezone": location.timezone,
            "sessions": _documents(session, rows, location.code),
            "to_review": _to_review(session, location.id, start, end)}


def _to_review(session: Session, location_id: int, start: dt.datetime,
               end: dt.datetime) -> list[dict[str, Any]]:
    """The till sales and returns of a store day flagged for the manager, in time order."""
    sales = session.execute(
        select(Order.number, Device.name, Order.occurred_at, Order.device_occurred_at, Order.total,
               Order.review_flags)
        .outerjoin(Device, Device.id == Order.device_id)
        .where(Order.location_id == location_id, Order.needs_review.is_(True),
               Order.occurred_at >= start, Order.occurred_at < end)).all()
    returns = session.execute(
        select(SaleReturn.number, Device.name, SaleReturn.occurred_at, SaleReturn.device_occurred_at,
               SaleReturn.total, SaleReturn.review_flags)
        .outerjoin(Device, Device.id == SaleReturn.device_id)
        .where(SaleReturn.location_id == location_id, SaleReturn.needs_review.is_(True),
               SaleReturn.occurred_at >= start, SaleReturn.occurred_at < end)).all()
    items = [(kind, row) for kind, rows in (("sale", sales), ("return", returns)) for row in rows]
    items.sort(key=lambda item: (item[1][2], item[1][0]))
    return [{"kind": kind, "number": number, "till": till or "", "occurred_at": at.isoformat(),
             "device_occurred_at": device_at.isoformat() if device_at else None, "total": total,
             "flags": flags}
            for kind, (number, till, at, device_at, total, flags) in items]


def read_cash_session(session: Session, who: Principal, session_uuid: str) -> dict[str, Any]:
    canonical = canonical_uuid(session_uuid)
    filed = session.execute(
        select(CashSession).where(CashSession.uuid == canonical)).scalar_one_or_none() if canonical else None
    if filed is None:
        raise NotFound(f"no Z report for cash session {session_uuid}; the till sends it when the "
                       "session is closed", cash_session=session_uuid)
    who.require_location(filed.location_id)
    code = session.execute(select(Location.code).where(Location.id == filed.location_id)).scalar_one()
    return _documents(session, [filed], code)[0]


def _documents(session: Session, sessions: list[CashSession], store: str) -> list[dict[str, Any]]:
    """Each session as the till reported it, with the server's figures for it."""
    if not sessions:
        return []
    figures = _server_figures(session, sessions)
    docs = []
    for cs in sessions:
        report = cs.report
        cash_in, cash_out = cash_moved(report["movements"])
        server = figures[cs.uuid]
        server["expected_cash"] = expected_cash(
            cs.opening_float, report["movements"], server["sales_by_tender"].get("cash", 0),
            server["refunds_by_tender"].get("cash", 0))
        till_figures = {k: report[k] for k in ("sales_count", "returns_count", "sales_by_tender",
                                               "refunds_by_tender")}
        till_figures["sales_by_tender"] = _nonzero(till_figures["sales_by_tender"])
        till_figures["refunds_by_tender"] = _nonzero(till_figures["refunds_by_tender"])
        till_figures["cash_rounding"] = report.get("cash_rounding") or 0
        docs.append({
            "uuid": cs.uuid, "store": store, "till": cs.till, "currency": cs.currency,
            "opened_at": cs.opened_at.isoformat(), "closed_at": cs.closed_at.isoformat(),
            "device_opened_at": cs.device_opened_at.isoformat() if cs.device_opened_at else None,
            "device_closed_at": cs.device_closed_at.isoformat() if cs.device_closed_at else None,
            "opened_by": cs.opened_by, "closed_by": cs.closed_by, "float": cs.opening_float,
            "movements": report["movements"],
            "cash_in": cash_in, "cash_out": cash_out,
            **till_figures,
            "expected_cash": cs.expected_cash, "counted_cash": cs.counted_cash,
            "difference": cs.difference,
            "server": server,
            "complete": (server["sales_count"] >= cs.sales_count
                         and server["returns_count"] >= cs.returns_count),
            "matches": all(server[k] == till_figures[k] for k in till_figures),
            "received_at": cs.received_at.isoformat(),
            "review_flags": cs.review_flags or [],
        })
    return docs


def _nonzero(by_tender: dict[str, int]) -> dict[str, int]:
    return {kind: amount for kind, amount in sorted(by_tender.items()) if amount}


def _server_figures(session: Session, sessions: list[CashSession]) -> dict[str, dict[str, Any]]:
    """Sales and returns the server recorded with each session's UUID, at its store, by tender."""
    uuids = [cs.uuid for cs in sessions]
    location_ids = {cs.location_id for cs in sessions}
    sales: dict[str, Counter[str]] = {u: Counter() for u in uuids}
    refunds: dict[str, Counter[str]] = {u: Counter() for u in uuids}
    for uuid, kind, amount in session.execute(
            select(Order.cash_session_uuid, OrderTender.kind, func.sum(OrderTender.amount))
            .join(Order, Order.id == OrderTender.order_id)
            .where(Order.cash_session_uuid.in_(uuids), Order.location_id.in_(location_ids))
            .group_by(Order.cash_session_uuid, OrderTender.kind)):
        sales[uuid][kind] = int(amount)
    for uuid, kind, amount in session.execute(
            select(SaleReturn.cash_session_uuid, SaleReturnRefund.kind, func.sum(SaleReturnRefund.amount))
            .join(SaleReturn, SaleReturn.id == SaleReturnRefund.return_id)
            .where(SaleReturn.cash_session_uuid.in_(uuids), SaleReturn.location_id.in_(location_ids))
            .group_by(SaleReturn.cash_session_uuid, SaleReturnRefund.kind)):
        refunds[uuid][kind] = int(amount)
    rounding = dict(session.execute(
        select(Order.cash_session_uuid, func.sum(Order.cash_rounding))
        .where(Order.cash_session_uuid.in_(uuids), Order.location_id.in_(location_ids))
        .group_by(Order.cash_session_uuid)).all())
    sales_count = dict(session.execute(
        select(Order.cash_session_uuid, func.count(Order.id))
        .where(Order.cash_session_uuid.in_(uuids), Order.location_id.in_(location_ids))
        .group_by(Order.cash_session_uuid)).all())
    returns_count = dict(session.execute(
        select(SaleReturn.cash_session_uuid, func.count(SaleReturn.id))
        .where(SaleReturn.cash_session_uuid.in_(uuids), SaleReturn.location_id.in_(location_ids))
        .group_by(SaleReturn.cash_session_uuid)).all())
    return {u: {"sales_count": int(sales_count.get(u, 0)), "returns_count": int(returns_count.get(u, 0)),
                "sales_by_tender": _nonzero(dict(sales[u])), "refunds_by_tender": _nonzero(dict(refunds[u])),
                "cash_rounding": int(rounding.get(u) or 0)}
            for u in uuids}
