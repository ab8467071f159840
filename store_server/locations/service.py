"""Opening and changing locations; finding them by code."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from store_server.catalog.models import PriceList
from store_server.db import transaction
from store_server.errors import AlreadyExists, InvalidInput, NotFound
from store_server.events.service import record
from store_server.locations.models import Location
from store_server.validation import Code, CountryCode, CurrencyCode, LocaleCode, Name, TimeZoneName


class QuickDelivery(BaseModel):
    radius_km: float = Field(gt=0, le=50)
    promise_minutes: int = Field(gt=0, le=24 * 60)


class LocationIn(BaseModel):
    code: Code
    name: Name
    kind: Literal["warehouse", "store"]
    country: CountryCode
    currency: CurrencyCode
    locale: LocaleCode
    timezone: TimeZoneName
    address: str = Field("", max_length=500)
    legal_name: str = Field("", max_length=200,
                            description="the seller's registered name, printed on receipts")
    tax_id: str = Field("", max_length=40, description="the seller's tax ID (NIF, VAT number, ИНН, "
                                                       "CNPJ...), printed on receipts")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    # Sent to every till of the chain with the store: a week of short lines at most.
    opening_hours: dict[Annotated[str, StringConstraints(min_length=1, max_length=40)],
                        Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=dict, max_length=14, description='e.g. {"mon-sat": "10:00-22:00"}')
    price_list: str | None = Field(None, max_length=40,
                                   description="code of the price list this store sells at")
    click_and_collect: bool = False
    ships_online_orders: bool = False
    quick_delivery: QuickDelivery | None = None


class LocationOut(LocationIn):
    id: int
    active: bool


def location_out(session: Session, location: Location) -> LocationOut:
    price_list = session.get(PriceList, location.price_list_id) if location.price_list_id else None
    return LocationOut(
        id=location.id, code=location.code, name=location.name, kind=location.kind,  # type: ignore[arg-type]
        country=location.country, currency=location.currency, locale=location.locale,
        timezone=location.timezone, address=location.address, legal_name=location.legal_name,
        tax_id=location.tax_id, latitude=location.latitude,
        longitude=location.longitude, opening_hours=location.opening_hours,
        price_list=price_list.code if price_list else None,
        click_and_collect=location.click_and_collect,
        ships_online_orders=location.ships_online_orders,
        quick_delivery=QuickDelivery(
            radius_km=location.quick_delivery_radius_km,
            promise_minutes=location.quick_delivery_minutes,
        ) if location.quick_delivery_radius_km and location.quick_delivery_minutes else None,
        active=location.active,
    )


def get_location(session: Session, code: str) -> Location:
    location = session.execute(select(Location).where(Location.code == code)).scalar_one_or_none()
    if location is None:
        raise NotFound(f"no location with code {code!r}", location=code)
    return location


def _apply(session: Session, location: Location, data: LocationIn) -> None:
    if data.quick_delivery and (data.latitude is None or data.longitude is None):
        raise InvalidInput("quick delivery needs the store's latitude and longitude")
    if data.kind == "warehouse" and (data.click_and_collect or data.quick_delivery):
        raise InvalidInput("click & collect and quick delivery are services of stores")
    price_list_id = None
    if data.price_list:
        price_list = session.execute(
            select(PriceList).where(PriceList.code == data.price_list)
        ).scalar_one_or_none()
        if price_list is None:
            raise InvalidInput(f"no price list {data.price_list!r}; create it first")
        if price_list.currency != data.currency:
            raise InvalidInput(
                f"price list {price_list.code} is in {price_list.currency}, "
                f"the location sells in {data.currency}"
            )
        price_list_id = price_list.id
    for name in ("code", "name", "kind", "country", "currency", "locale", "timezone", "address",
                 "legal_name", "tax_id", "latitude", "longitude", "opening_hours", "click_and_collect",
                 "ships_online_orders"):
        setattr(location, name, getattr(data, name))
    location.price_list_id = price_list_id
    location.quick_delivery_radius_km = data.quick_delivery.radius_km if data.quick_delivery else None
    location.quick_delivery_minutes = (
        data.quick_delivery.promise_minutes if data.quick_delivery else None
    )


def open_location(session: Session, data: LocationIn) -> LocationOut:
    with transaction(session):
        exists = session.execute(select(Location.id).where(Location.code == data.code)).first()
        if exists:
            raise AlreadyExists(f"a location with code {data.code!r} exists", location=data.code)
        location = Location()
        _apply(session, location, data)
        session.add(location)
        session.flush()
        out = location_out(session, location)
        record(session, "location.upserted", "location", location.code, out.model_dump(mode="json"))
        return out


def update_location(session: Session, code: str, data: LocationIn) -> LocationOut:
    with transaction(session):
        location = get_location(session, code)
        if data.code != code:
            raise InvalidInput("a location's code cannot change")
        _apply(session, location, data)
        session.flush()
        out = location_out(session, location)
        record(session, "location.upserted", "location", location.code, out.model_dump(mode="json"))
        return out


def list_locations(session: Session) -> list[Location]:
    return list(session.execute(select(Location).order_by(Location.code)).scalars())
