"""Enrolling a till, kiosk or printer with a one-time pairing code, and pairing it.

The manager enrols a device and reads the code off the screen; the device sends the code once
and gets a bearer token scoped to its store and kind. Codes are random, stored hashed, expire
after a day and work once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from store_server.accounts import throttle
from store_server.accounts.models import ApiToken
from store_server.accounts.throttle import Attempt, ThrottleRules
from store_server.api.auth import Principal, new_token
from store_server.db import transaction, utcnow
from store_server.devices.models import Device
from store_server.errors import Conflict, InvalidInput, NotFound, Unauthorized
from store_server.events.service import record
from store_server.locations.models import Location
from store_server.locations.service import get_location

log = logging.getLogger(__name__)
PAIRING_LIFETIME = timedelta(hours=24)
# No 0/O, 1/I/L: the code is read off a screen and typed on a till.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class DeviceIn(BaseModel):
    store: str
    kind: Literal["till", "kiosk", "printer"]
    name: str = Field(min_length=1, max_length=120)
    printer_url: str = Field("", max_length=300, description="e.g. tcp://192.168.1.50:9100")


class PairIn(BaseModel):
    code: str = Field(min_length=4, max_length=40)


def _code_hash(code: str) -> str:
    normalised = code.upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def new_pairing_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def device_document(session: Session, device: Device) -> dict[str, Any]:
    store = session.get(Location, device.store_id)
    return {
        "id": device.id, "store": store.code if store else None, "kind": device.kind,
        "name": device.name, "printer_url": device.printer_url, "status": device.status,
        "paired_at": device.paired_at.isoformat() if device.paired_at else None,
        "pairing_expires_at": (device.pairing_expires_at.isoformat()
                               if device.pairing_expires_at and device.status == "awaiting_pairing"
                               else None),
    }


def enrol_device(session: Session, data: DeviceIn, by: Principal) -> dict[str, Any]:
    with transaction(session):
        store = get_location(session, data.store)
        by.require_location(store.id)
        if store.kind != "store":
            raise InvalidInput(f"{store.code} is a {store.kind}; devices are enrolled in stores")
        if data.printer_url and "://" not in data.printer_url and data.printer_url != "dummy:":
            raise InvalidInput("printer_url must look like tcp://host:9100, usb://VID:PID, ...")
        code = new_pairing_code()
        device = Device(
            store_id=store.id, kind=data.kind, name=data.name, printer_url=data.printer_url,
            pairing_code_hash=_code_hash(code), pairing_expires_at=utcnow() + PAIRING_LIFETIME,
            created_by=by.key,
        )
        session.add(device)
        session.flush()
        out = device_document(session, device)
        record(session, "device.enrolled", "device", str(device.id), out, location_id=store.id)
        return {**out, "pairing_code": code}


def pair_device(session: Session, data: PairIn, rules: ThrottleRules | None = None,
                address: str = "") -> dict[str, Any]:
    """Exchange a pairing code for the device's token. Codes are 12 random letters and digits;
    wrong codes are counted per client address (``rules``), like wrong passwords."""
    if rules is None:
        return _pair(session, data)
    attempt = Attempt(None, f"pairing:{address}", address)
    throttle.guard(session, attempt, rules)
    try:
        return _pair(session, data)
    except Unauthorized:
        session.rollback()
        throttle.failed(session, attempt, rules)
        raise


def _pair(session: Session, data: PairIn) -> dict[str, Any]:
    with transaction(session):
        device = session.execute(
            select(Device).where(Device.pairing_code_hash == _code_hash(data.code))
        ).scalar_one_or_none()
        if device is None or device.status != "awaiting_pairing":
            raise Unauthorized("this pairing code is not valid; ask the manager for a new one")
        if device.pairing_expires_at is None or device.pairing_expires_at <= utcnow():
            raise Unauthorized("this pairing code has expired; ask the manager for a new one")
        token, token_hash = new_token()
        session.add(ApiToken(token_hash=token_hash, device_id=device.id, label="paired device"))
        device.status = "paired"
        device.paired_at = utcnow()
        device.pairing_code_hash = None  # one use only
        session.flush()
        out = device_document(session, device)
        record(session, "device.paired", "device", str(device.id), out, location_id=device.store_id)
        return {"token": token, "device": out}


def retire_device(session: Session, device_id: int, by: Principal) -> dict[str, Any]:
    with transaction(session):
        device = session.get(Device, device_id)
        if device is None:
            raise NotFound(f"no device {device_id}")
        by.require_location(device.store_id)
        if device.status == "retired":
            raise Conflict("the device is already retired")
        device.status = "retired"
        device.pairing_code_hash = None
        session.execute(
            update(ApiToken).where(ApiToken.device_id == device.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        out = device_document(session, device)
        record(session, "device.retired", "device", str(device.id), out, location_id=device.store_id)
        return out


def list_devices(session: Session, by: Principal) -> list[dict[str, Any]]:
    stmt = select(Device).order_by(Device.id)
    if by.store_id is not None:
        stmt = stmt.where(Device.store_id == by.store_id)
    return [device_document(session, d) for d in session.execute(stmt).scalars()]


# Device id → when this process last wrote that device's sync report (time.monotonic()).
_reported: dict[int, float] = {}


def note_sync_report(session: Session, device_id: int, *, outbox_depth: int | None,
                     feed_position: int | None, every_s: float) -> None:
    """Keep what a device said with a sync call: the last event seq it applied and how many
    documents wait in its outbox (the metrics show its lag and backlog from them), and when.

    A till syncs every few seconds; writing each report would add a write transaction to every
    sync, so each server process writes a device's report at most every ``every_s``. A report
    that cannot be written is dropped: the sync itself must not fail for it.
    """
    if outbox_depth is None and feed_position is None:
        return
    now = time.monotonic()
    last = _reported.get(device_id)
    if last is not None and now - last < every_s:
        return
    _reported[device_id] = now
    values: dict[str, Any] = {"last_seen_at": utcnow()}
    if outbox_depth is not None:
        values["outbox_depth"] = outbox_depth
    if feed_position is not None:
        values["feed_position"] = feed_position
    try:
        with transaction(session):
            session.execute(update(Device).where(Device.id == device_id).values(**values)
                            .execution_options(synchronize_session=False))
    except DBAPIError as exc:
        session.rollback()
        log.warning("device %s: its sync report was not kept (%s)", device_id, type(exc.orig).__name__)
