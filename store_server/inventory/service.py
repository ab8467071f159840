"""Receiving, adjusting, transferring and counting stock, all through one ledger writer.

Every change to a stock level goes through ``apply_movements``: it appends the movements and
updates the levels by the same deltas in one transaction, so a level is always the sum of its
movements (invariant 4), and it writes one ``stock.changed`` event per level it touched.

Counts state the truth at their moment (``counted_at``). A movement that happened before the
latest count of its level but reaches us after it (a till that was offline) is recorded with
``delta_on_hand`` 0: the count already saw the shelf without it, so subtracting it again would
count it twice. This is how Square's inventory API treats physical counts.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from store_server.catalog.models import Sku
from store_server.catalog.service import skus_by_code
from store_server.db import insert_missing, transaction, utcnow
from store_server.errors import AlreadyExists, Conflict, InsufficientStock, InvalidInput, NotFound
from store_server.events.service import NewEvent, record_many
from store_server.inventory.models import (
    StockCount,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
)
from store_server.locations.models import Location
from store_server.locations.service import get_location
from store_server.validation import Moment, Quantity

# A till's clock may run a little fast; anything further in the future is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
# Receipts, adjustments and counts are dated at most when we receive them: a count dated ahead
# would absorb real movements made before that time (recording them with no stock change).
# A device clock a little fast is taken as "now"; further ahead is refused.
FUTURE_TOLERANCE = timedelta(minutes=1)


@dataclass(slots=True)
class Movement:
    """One line for the ledger writer. ``quantity`` is signed as it happened."""

    location_id: int
    sku_id: int
    kind: str
    quantity: int
    occurred_at: datetime
    document: str = ""
    reason: str = ""
    actor: str = ""
    idempotency_key: str | None = None
    delta_reserved: int = 0
    affects_on_hand: bool = True
    counted_quantity: int | None = None
    note: str = ""
    # Filled in by apply_movements:
    delta_on_hand: int = 0


def _lock_levels(session: Session, keys: list[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """Create missing levels, then lock the ones we change, ordered by (location, sku).

    Always taking row locks in the same order means two transactions touching overlapping
    levels queue instead of deadlocking (PostgreSQL). SQLite's BEGIN IMMEDIATE has already
    serialised writers, so FOR UPDATE is a no-op there.
    """
    keys = sorted(set(keys))
    if not keys:
        return {}
    levels = load_levels(session, keys, lock=True)
    missing = [k for k in keys if k not in levels]
    if not missing:  # the usual case: one statement
        return levels
    now = utcnow()
    rows = [{"location_id": loc, "sku_id": sku, "on_hand": 0, "reserved": 0,
             "safety_stock": 0, "needs_count": False, "updated_at": now} for loc, sku in missing]
    insert_missing(session, StockLevel, rows, ["location_id", "sku_id"])
    return load_levels(session, keys, lock=True)


def load_levels(
    session: Session, keys: list[tuple[int, int]], lock: bool, *, skip_locked: bool = False
) -> dict[tuple[int, int], StockLevel]:
    """The levels of ``keys`` that exist; with ``lock``, row-locked in (location, SKU) order.

    ``skip_locked`` leaves out rows another transaction holds instead of waiting for them: for
    a caller that already holds locks and must not wait for more (see orders.place_order).
    """
    locations = sorted({k[0] for k in keys})
    skus = sorted({k[1] for k in keys})
    stmt = (
        select(StockLevel)
        .where(StockLevel.location_id.in_(locations), StockLevel.sku_id.in_(skus))
        .order_by(StockLevel.location_id, StockLevel.sku_id)
    )
    if lock:
        # Refresh rows already in the session: values read before the lock may be stale.
        stmt = stmt.with_for_update(skip_locked=skip_locked).execution_options(populate_existing=True)
    wanted = set(keys)
    levels = {
        (lvl.location_id, lvl.sku_id): lvl
        for lvl in session.execute(stmt).scalars()
    }
    return {k: v for k, v in levels.items() if k in wanted}


_INSERT_MOVEMENTS = StockMovement.__table__.insert()
_LEVELS = StockLevel.__table__
_UPDATE_LEVEL = (
    update(_LEVELS).where(_LEVELS.c.id == bindparam("level_id"))
    .values(on_hand=bindparam("on_hand"), reserved=bindparam("reserved"),
            needs_count=bindparam("needs_count"), last_counted_at=bindparam("last_counted_at"),
            updated_at=bindparam("updated_at"))
)


def apply_movements(session: Session, movements: list[Movement],
                    events: list[NewEvent] | None = None,
                    locked: dict[tuple[int, int], StockLevel] | None = None) -> list[StockLevel]:
    """Append movements and move their levels by the same deltas; the one ledger writer.

    It ends by writing events (or handing them to the caller through ``events``), which
    locks the event counter until commit. A use case that
    calls it twice must have locked every level of the second call before the first (see
    ``dispatch_transfer``), so that no transaction waits for a level while holding the counter.
    """
    if not movements:
        return []
    keys = [(m.location_id, m.sku_id) for m in movements]
    # A caller that already holds the row locks (see orders.place_order) passes the levels.
    levels = locked if locked is not None and all(k in locked for k in keys) else _lock_levels(session, keys)
    now = utcnow()
    rows = []
    for m in movements:
        level = levels[(m.location_id, m.sku_id)]
        absorbed = (
            m.affects_on_hand and m.kind != "count" and level.last_counted_at is not None
            and m.occurred_at < level.last_counted_at
        )
        if m.kind == "count" or m.affects_on_hand and not absorbed:
            m.delta_on_hand = m.quantity
        else:
            m.delta_on_hand = 0
        if absorbed:
            m.note = (m.note + " " if m.note else "") + (
                f"happened before the count of {level.last_counted_at.isoformat()}, "
                "which already saw the shelf without it"
            )
        level.on_hand += m.delta_on_hand
        level.reserved += m.delta_reserved
        if level.reserved < 0:
            raise Conflict("cannot release more than is reserved", sku_id=m.sku_id)
        if level.on_hand < 0:
            level.needs_count = True
        if m.kind == "count":
            level.needs_count = False
            level.last_counted_at = m.occurred_at
        level.updated_at = now
        rows.append({
            "location_id": m.location_id, "sku_id": m.sku_id, "kind": m.kind,
            "quantity": m.quantity, "delta_on_hand": m.delta_on_hand,
            "delta_reserved": m.delta_reserved, "counted_quantity": m.counted_quantity,
            "reason": m.reason, "document": m.document, "actor": m.actor,
            "occurred_at": m.occurred_at, "recorded_at": now,
            "idempotency_key": m.idempotency_key, "note": m.note,
        })
    conn = session.connection()
    try:
        conn.execute(_INSERT_MOVEMENTS, rows)
    except IntegrityError as exc:  # the whole unit of work rolls back with this error
        raise AlreadyExists(
            "these stock movements were recorded before (same document or idempotency key)"
        ) from exc
    # One executemany for every level touched, instead of an ORM flush per object; the loaded
    # objects already hold the new values, so they are marked clean rather than re-read.
    touched_levels = {id(lvl): lvl for lvl in (levels[(m.location_id, m.sku_id)] for m in movements)}
    conn.execute(_UPDATE_LEVEL, [
        {"level_id": lvl.id, "on_hand": lvl.on_hand, "reserved": lvl.reserved,
         "needs_count": lvl.needs_count, "last_counted_at": lvl.last_counted_at, "updated_at": now}
        for lvl in touched_levels.values()
    ])
    for lvl in touched_levels.values():
        for name in ("on_hand", "reserved", "needs_count", "last_counted_at", "updated_at"):
            set_committed_value(lvl, name, getattr(lvl, name))
    session.flush()  # rows the caller added (transfer lines, counts) are written before reads
    touched = sorted({(m.location_id, m.sku_id) for m in movements})
    changed = stock_events(session, [levels[k] for k in touched])
    if events is None:
        record_many(session, changed)
    else:  # the caller records them with its own events, in one write
        events.extend(changed)
    return [levels[k] for k in touched]


_SKU_CODES = select(Sku.id, Sku.code).where(Sku.id.in_(bindparam("ids", expanding=True)))
_LOCATION_CODES = select(Location.id, Location.code).where(Location.id.in_(bindparam("ids", expanding=True)))


def stock_events(session: Session, levels: list[StockLevel]) -> list[NewEvent]:
    conn = session.connection()
    codes = dict(conn.execute(_SKU_CODES, {"ids": sorted({lvl.sku_id for lvl in levels})}).all())
    locations = dict(conn.execute(
        _LOCATION_CODES, {"ids": sorted({lvl.location_id for lvl in levels})}).all())
    return [
        NewEvent("stock.changed", "stock", f"{locations[lvl.location_id]}:{codes[lvl.sku_id]}",
                 level_document(lvl, locations[lvl.location_id], codes[lvl.sku_id]),
                 location_id=lvl.location_id)
        for lvl in levels
    ]


def available_to_sell(on_hand: int, reserved: int, safety_stock: int) -> int:
    """ATS = on hand − reserved − safety stock, never shown below zero."""
    return max(0, on_hand - reserved - safety_stock)


def level_document(level: StockLevel, location_code: str, sku_code: str) -> dict[str, Any]:
    return {
        "location": location_code, "sku": sku_code, "on_hand": level.on_hand,
        "reserved": level.reserved, "safety_stock": level.safety_stock,
        "available": available_to_sell(level.on_hand, level.reserved, level.safety_stock),
        "needs_count": level.needs_count,
        "last_counted_at": level.last_counted_at.isoformat() if level.last_counted_at else None,
    }


def _occurred(value: datetime | None, field: str = "occurred_at") -> datetime:
    """When a movement happened: never after the moment we receive it."""
    now = utcnow()
    if value is None:
        return now
    if value.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone offset")
    if value > now + FUTURE_TOLERANCE:
        raise InvalidInput(f"{field} is in the future ({value.isoformat()}, it is now "
                           f"{now.isoformat()}); check the device's clock, or leave it out for now",
                           field=field)
    return min(value, now)


def _number(prefix: str) -> str:
    return f"{prefix}-{utcnow():%y%m%d}-{secrets.token_hex(3).upper()}"


# -- use cases --------------------------------------------------------------------------------


class LineIn(BaseModel):
    sku: str
    quantity: Quantity


class ReceiptIn(BaseModel):
    location: str
    document: str = Field(min_length=1, max_length=80,
                          description="the supplier's delivery note; receiving it twice is refused")
    lines: list[LineIn] = Field(min_length=1, max_length=5000)
    occurred_at: Moment | None = None
    reason: str = Field("goods received", max_length=200)


class AdjustmentIn(BaseModel):
    location: str
    sku: str
    delta: int = Field(ge=-10_000_000, le=10_000_000,
                       description="signed change: -2 for two broken units")
    reason: str = Field(min_length=1, max_length=200, description="damaged, theft, found, ...")
    occurred_at: Moment | None = None


class TransferIn(BaseModel):
    from_location: str
    to_location: str
    lines: list[LineIn] = Field(min_length=1, max_length=5000)
    note: str = Field("", max_length=500)
    receive_now: bool = Field(False, description="record arrival at once (stock moved by hand)")


class CountLineIn(BaseModel):
    sku: str
    counted: int = Field(ge=0, le=10_000_000)


class CountIn(BaseModel):
    location: str
    counted_at: Moment | None = Field(None, description="when the shelf was counted; default now")
    lines: list[CountLineIn] = Field(min_length=1, max_length=20000)


class SafetyStockIn(BaseModel):
    location: str
    sku: str
    safety_stock: int = Field(ge=0, le=10_000_000)


def _single_lines(lines: Iterable[LineIn | CountLineIn]) -> None:
    seen: set[str] = set()
    for line in lines:
        if line.sku in seen:
            raise InvalidInput(f"SKU {line.sku} is listed twice; put it on one line")
        seen.add(line.sku)


def receive(session: Session, data: ReceiptIn, actor: str,
            authorise: Any = None) -> dict[str, Any]:
    """Goods arrive at a location against a delivery note."""
    with transaction(session):
        location = get_location(session, data.location)
        if authorise:
            authorise(location.id)
        _single_lines(data.lines)
        ids = skus_by_code(session, [line.sku for line in data.lines])
        when = _occurred(data.occurred_at)
        document = f"receipt:{data.document}"
        levels = apply_movements(session, [
            Movement(location.id, ids[line.sku], "receipt", line.quantity, when, document=document,
                     reason=data.reason, actor=actor,
                     idempotency_key=f"{document}@{location.id}:{ids[line.sku]}")
            for line in data.lines
        ])
        return {"document": data.document, "levels": _level_docs(session, levels)}


def adjust(session: Session, data: AdjustmentIn, actor: str, authorise: Any = None) -> dict[str, Any]:
    """Correct stock for a known reason (breakage, theft, found goods)."""
    if data.delta == 0:
        raise InvalidInput("an adjustment of 0 changes nothing; give a non-zero delta")
    with transaction(session):
        location = get_location(session, data.location)
        if authorise:
            authorise(location.id)
        ids = skus_by_code(session, [data.sku])
        level = load_levels(session, [(location.id, ids[data.sku])], lock=False).get(
            (location.id, ids[data.sku])
        )
        on_hand = level.on_hand if level else 0
        if on_hand + data.delta < 0:
            raise InsufficientStock(
                f"{data.sku} has {on_hand} on hand at {location.code}; removing {-data.delta} "
                "would go below zero. Count the shelf instead.",
                sku=data.sku, on_hand=on_hand,
            )
        levels = apply_movements(session, [
            Movement(location.id, ids[data.sku], "adjustment", data.delta,
                     _occurred(data.occurred_at), document=_number("ADJ"), reason=data.reason,
                     actor=actor)
        ])
        return {"levels": _level_docs(session, levels)}


def dispatch_transfer(session: Session, data: TransferIn, actor: str,
                      authorise: Any = None) -> dict[str, Any]:
    """Send stock from one location to another (transfer_out now, transfer_in on arrival)."""
    if data.from_location == data.to_location:
        raise InvalidInput("a transfer needs two different locations")
    with transaction(session):
        source = get_location(session, data.from_location)
        target = get_location(session, data.to_location)
        if authorise:
            authorise(source.id)
            if data.receive_now:  # recording the arrival is the receiving store's word
                authorise(target.id)
        _single_lines(data.lines)
        ids = skus_by_code(session, [line.sku for line in data.lines])
        keys = [(source.id, ids[line.sku]) for line in data.lines]
        # Lock the arriving side too, now: every row lock must be taken before the first event
        # locks the event counter, or two opposite transfers deadlock on PostgreSQL.
        arriving = [(target.id, ids[line.sku]) for line in data.lines] if data.receive_now else []
        levels = _lock_levels(session, keys + arriving)
        short = [
            {"sku": line.sku, "requested": line.quantity,
             "available": max(0, levels[(source.id, ids[line.sku])].on_hand
                              - levels[(source.id, ids[line.sku])].reserved)}
            for line in data.lines
            if levels[(source.id, ids[line.sku])].on_hand
            - levels[(source.id, ids[line.sku])].reserved < line.quantity
        ]
        if short:
            raise InsufficientStock(
                f"{source.code} does not have enough unreserved stock to send", lines=short
            )
        transfer = Transfer(number=_number("TR"), from_location_id=source.id,
                            to_location_id=target.id, note=data.note, created_by=actor)
        session.add(transfer)
        session.flush()
        for line in data.lines:
            session.add(TransferLine(transfer_id=transfer.id, sku_id=ids[line.sku],
                                     quantity=line.quantity))
        now = utcnow()
        document = f"transfer:{transfer.number}"
        apply_movements(session, [
            Movement(source.id, ids[line.sku], "transfer_out", -line.quantity, now,
                     document=document, reason=f"to {target.code}", actor=actor,
                     idempotency_key=f"{document}:out:{ids[line.sku]}")
            for line in data.lines
        ])
        if data.receive_now:
            _receive_transfer(session, transfer, actor)
        return transfer_document(session, transfer)


def receive_transfer(session: Session, number: str, actor: str,
                     authorise: Any = None) -> dict[str, Any]:
    with transaction(session):
        transfer = session.execute(
            select(Transfer).where(Transfer.number == number)
        ).scalar_one_or_none()
        if transfer is None:
            raise NotFound(f"no transfer {number}")
        if authorise:
            authorise(transfer.to_location_id)
        if transfer.status == "received":
            raise Conflict(f"transfer {number} was already received")
        _receive_transfer(session, transfer, actor)
        return transfer_document(session, transfer)


def _receive_transfer(session: Session, transfer: Transfer, actor: str) -> None:
    lines = session.execute(
        select(TransferLine).where(TransferLine.transfer_id == transfer.id)
    ).scalars().all()
    source = session.get(Location, transfer.from_location_id)
    now = utcnow()
    document = f"transfer:{transfer.number}"
    apply_movements(session, [
        Movement(transfer.to_location_id, line.sku_id, "transfer_in", line.quantity, now,
                 document=document, reason=f"from {source.code if source else '?'}", actor=actor,
                 idempotency_key=f"{document}:in:{line.sku_id}")
        for line in lines
    ])
    transfer.status = "received"
    transfer.received_at = now


def transfer_document(session: Session, transfer: Transfer) -> dict[str, Any]:
    codes = dict(session.execute(select(Location.id, Location.code).where(
        Location.id.in_([transfer.from_location_id, transfer.to_location_id]))).all())
    lines = session.execute(
        select(Sku.code, TransferLine.quantity)
        .join(Sku, Sku.id == TransferLine.sku_id)
        .where(TransferLine.transfer_id == transfer.id)
        .order_by(TransferLine.id)
    ).all()
    return {
        "number": transfer.number, "status": transfer.status,
        "from_location": codes[transfer.from_location_id],
        "to_location": codes[transfer.to_location_id],
        "lines": [{"sku": c, "quantity": q} for c, q in lines],
        "dispatched_at": transfer.dispatched_at.isoformat(),
        "received_at": transfer.received_at.isoformat() if transfer.received_at else None,
    }


def record_count(session: Session, data: CountIn, actor: str,
                 authorise: Any = None) -> dict[str, Any]:
    """A cycle count: set each counted level to the truth at ``counted_at``.

    The expected quantity is what the ledger says the shelf held at that moment (movements
    that occurred at or before it), so sales made after the count but synced earlier stay
    applied, and sales made before it that sync later will not be subtracted again.
    """
    with transaction(session):
        location = get_location(session, data.location)
        if authorise:
            authorise(location.id)
        _single_lines(data.lines)
        counted_at = _occurred(data.counted_at, "counted_at")
        ids = skus_by_code(session, [line.sku for line in data.lines])
        levels = _lock_levels(session, [(location.id, ids[line.sku]) for line in data.lines])
        later = [line.sku for line in data.lines
                 if (lc := levels[(location.id, ids[line.sku])].last_counted_at) and lc > counted_at]
        if later:
            raise Conflict(
                "a later count exists for: " + ", ".join(later)
                + "; an older count cannot overrule it", skus=later,
            )
        expected = dict(session.execute(
            select(StockMovement.sku_id, func.coalesce(func.sum(StockMovement.delta_on_hand), 0))
            .where(StockMovement.location_id == location.id,
                   StockMovement.sku_id.in_(list(ids.values())),
                   StockMovement.occurred_at <= counted_at)
            .group_by(StockMovement.sku_id)
        ).all())
        count = StockCount(number=_number("CNT"), location_id=location.id, counted_at=counted_at,
                           counted_by=actor, lines_counted=len(data.lines))
        session.add(count)
        session.flush()
        report = []
        movements = []
        for line in data.lines:
            sku_id = ids[line.sku]
            was = int(expected.get(sku_id, 0))
            difference = line.counted - was
            report.append({"sku": line.sku, "expected": was, "counted": line.counted,
                           "difference": difference})
            movements.append(Movement(
                location.id, sku_id, "count", difference, counted_at,
                document=f"count:{count.number}", reason="cycle count", actor=actor,
                counted_quantity=line.counted,
                idempotency_key=f"count:{count.number}:{sku_id}",
            ))
        count.discrepancies = sum(1 for r in report if r["difference"] != 0)
        levels_after = apply_movements(session, movements)
        return {
            "number": count.number, "location": location.code,
            "counted_at": counted_at.isoformat(),
            "discrepancies": count.discrepancies,
            "lines": report,
            "levels": _level_docs(session, levels_after),
        }


def set_safety_stock(session: Session, data: SafetyStockIn, authorise: Any = None) -> dict[str, Any]:
    with transaction(session):
        location = get_location(session, data.location)
        if authorise:
            authorise(location.id)
        ids = skus_by_code(session, [data.sku])
        key = (location.id, ids[data.sku])
        level = _lock_levels(session, [key])[key]
        level.safety_stock = data.safety_stock
        level.updated_at = utcnow()
        session.flush()
        record_many(session, stock_events(session, [level]))
        return level_document(level, location.code, data.sku)


def _level_docs(session: Session, levels: list[StockLevel]) -> list[dict[str, Any]]:
    return [e.payload for e in stock_events(session, levels)]


# -- reading ---------------------------------------------------------------------------------


def stock_at(session: Session, location_code: str, sku_code: str) -> dict[str, Any]:
    location = get_location(session, location_code)
    ids = skus_by_code(session, [sku_code])
    level = load_levels(session, [(location.id, ids[sku_code])], lock=False).get(
        (location.id, ids[sku_code])
    )
    if level is None:
        level = StockLevel(location_id=location.id, sku_id=ids[sku_code], on_hand=0, reserved=0,
                           safety_stock=0, needs_count=False)
    return level_document(level, location.code, sku_code)


def verify(session: Session) -> list[dict[str, Any]]:
    """Every level whose on_hand or reserved differs from the sum of its movements.

    Levels without movements must be zero; movements without a level are a discrepancy too.
    """
    sums = (
        select(
            StockMovement.location_id.label("location_id"),
            StockMovement.sku_id.label("sku_id"),
            func.sum(StockMovement.delta_on_hand).label("on_hand"),
            func.sum(StockMovement.delta_reserved).label("reserved"),
        )
        .group_by(StockMovement.location_id, StockMovement.sku_id)
        .subquery()
    )
    ledger = {(r.location_id, r.sku_id): (int(r.on_hand), int(r.reserved))
              for r in session.execute(select(sums))}
    problems = []
    for level in session.execute(select(StockLevel)).scalars():
        key = (level.location_id, level.sku_id)
        on_hand, reserved = ledger.pop(key, (0, 0))
        if (on_hand, reserved) != (level.on_hand, level.reserved) or level.reserved < 0:
            problems.append({"location_id": key[0], "sku_id": key[1],
                             "level": {"on_hand": level.on_hand, "reserved": level.reserved},
                             "ledger": {"on_hand": on_hand, "reserved": reserved}})
    for key, (on_hand, reserved) in ledger.items():
        problems.append({"location_id": key[0], "sku_id": key[1], "level": None,
                         "ledger": {"on_hand": on_hand, "reserved": reserved}})
    # A count dated after it reached us absorbed movements that really came after it (they
    # were recorded with no stock change): the level adds up, yet the shelf may hold less.
    for m in session.execute(select(StockMovement).where(
            StockMovement.kind == "count", StockMovement.occurred_at > StockMovement.recorded_at)).scalars():
        if m.occurred_at - m.recorded_at <= FUTURE_TOLERANCE:
            continue
        problems.append({"location_id": m.location_id, "sku_id": m.sku_id,
                         "problem": "count dated after it was recorded; count this shelf again",
                         "document": m.document, "occurred_at": m.occurred_at.isoformat(),
                         "recorded_at": m.recorded_at.isoformat()})
    return problems
