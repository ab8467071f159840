"""HTTP for device enrolment and pairing."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from store_server.accounts.throttle import ThrottleRules
from store_server.api import Ctx, operation
from store_server.api.auth import MANAGERS
from store_server.devices import service
from store_server.devices.service import DeviceIn, PairIn


class DeviceOut(BaseModel):
    id: int
    store: str | None
    kind: Literal["till", "kiosk", "printer"]
    name: str
    printer_url: str
    status: Literal["awaiting_pairing", "paired", "retired"]
    paired_at: datetime | None
    pairing_expires_at: datetime | None = Field(description="while awaiting pairing")


class EnrolledDeviceOut(DeviceOut):
    pairing_code: str = Field(description="shown once: type it on the device within a day")


class PairedDeviceOut(BaseModel):
    token: str = Field(description="the device's bearer token")
    device: DeviceOut


@operation("POST", "/devices", summary="Enrol a till, kiosk or printer; get its pairing code",
           tag="devices", roles=MANAGERS, body=DeviceIn, response=EnrolledDeviceOut, status=201,
           idempotent=True, problems=(404,))
def enrol_device(ctx: Ctx, body: DeviceIn) -> dict[str, Any]:
    return service.enrol_device(ctx.session, body, ctx.who)


@operation("POST", "/devices/pair", summary="A device exchanges its pairing code for a token",
           tag="devices", roles=None, body=PairIn, response=PairedDeviceOut, status=201,
           problems=(401, 429))
def pair_device(ctx: Ctx, body: PairIn) -> dict[str, Any]:
    """Thirty wrong codes from one address within 15 minutes pause pairing from it (429)."""
    return service.pair_device(ctx.session, body, ThrottleRules.from_config(ctx.config), ctx.address)


@operation("GET", "/devices", summary="Devices (a manager sees their store's)", tag="devices",
           roles=MANAGERS, response=list[DeviceOut])
def list_devices(ctx: Ctx) -> list[dict[str, Any]]:
    return service.list_devices(ctx.session, ctx.who)


@operation("POST", "/devices/<int:device_id>/retire", summary="Retire a device; revoke its token",
           tag="devices", roles=MANAGERS, response=DeviceOut, problems=(409,))
def retire_device(ctx: Ctx, device_id: int) -> dict[str, Any]:
    return service.retire_device(ctx.session, device_id, ctx.who)
