"""HTTP for members: accounts and consents, member QR, identifying a shopper, points, history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from store_server.api import Ctx, operation
from store_server.api.auth import STAFF, TERMINALS
from store_server.api.pagination import Page, PageQuery
from store_server.customers import service
from store_server.customers.service import (
    CustomerIn,
    CustomerPatch,
    GiveBackIn,
    IdentifyIn,
    LoyaltyRules,
    QRSettings,
    RedeemIn,
)
from store_server.errors import Forbidden


class LookupQuery(BaseModel):
    phone: str | None = Field(None, max_length=40, description="the member's phone, any formatting")
    email: str | None = Field(None, max_length=200)


class MoneyOut(BaseModel):
    amount: int = Field(description="minor units")
    currency: str


class ConsentOut(BaseModel):
    marketing: bool
    recommendations: bool


class DatedConsentOut(ConsentOut):
    updated_at: datetime | None


class CustomerOut(BaseModel):
    number: str
    name: str
    phone: str | None
    email: str | None
    language: str
    consent: DatedConsentOut
    points: int
    active: bool
    created_at: datetime | None
    updated_at: datetime | None


class MemberQROut(BaseModel):
    number: str
    payload: str = Field(description="what the app shows as a QR")
    issued_at: datetime
    expires_at: datetime | None = Field(description="ask for a new one before then")


class MemberQRsRevokedOut(BaseModel):
    number: str
    revoked_at: datetime
    detail: str


class IdentifiedMemberOut(BaseModel):
    number: str
    name: str
    language: str
    points: int
    points_value: MoneyOut = Field(description="what the points take off a bill at this store")
    consent: ConsentOut
    store: str


class PurchaseLineOut(BaseModel):
    sku: str
    quantity: int
    net: int


class PurchaseOut(BaseModel):
    number: str
    channel: str
    status: str
    location: str
    currency: str
    total: int
    occurred_at: datetime
    lines: list[PurchaseLineOut]


class PointsEntryOut(BaseModel):
    kind: str = Field(description="earn, redeem, ...")
    points: int = Field(description="signed: redeeming is negative")
    reference: str
    currency: str | None
    amount: int
    at: datetime | None


class PointsStatementOut(BaseModel):
    number: str
    balance: int
    entries: list[PointsEntryOut] = Field(description="the latest first")


class RedemptionOut(BaseModel):
    number: str
    points: int
    reference: str
    discount: MoneyOut = Field(description="what the order takes off")
    balance: int
    replayed: bool = Field(description="this reference had redeemed before: the same answer again")


@operation("POST", "/customers", summary="Register a member", tag="customers", roles=STAFF,
           body=CustomerIn, response=CustomerOut, status=201, idempotent=True)
def register_customer(ctx: Ctx, body: CustomerIn) -> dict[str, Any]:
    """Staff at a till or the online shop (its admin token) register a member with a phone or
    an email, a preferred language and their consents (both off unless given)."""
    return service.register_customer(ctx.session, body)


@operation("GET", "/customers", summary="Find a member by phone or email", tag="customers",
           roles=STAFF, query=LookupQuery, response=CustomerOut, problems=(404,))
def find_customer(ctx: Ctx) -> dict[str, Any]:
    q: LookupQuery = ctx.query
    return service.find_customer(ctx.session, q.phone, q.email)


@operation("GET", "/customers/<number>", summary="A member's account", tag="customers", roles=STAFF,
           response=CustomerOut)
def get_customer(ctx: Ctx, number: str) -> dict[str, Any]:
    return service.customer_document(service.get_customer(ctx.session, number))


@operation("PATCH", "/customers/<number>", summary="Change a member's details or consents",
           tag="customers", roles=STAFF, body=CustomerPatch, response=CustomerOut, problems=(409,))
def update_customer(ctx: Ctx, body: CustomerPatch, number: str) -> dict[str, Any]:
    """Withdrawing consent to personalised recommendations also deletes the ones computed."""
    return service.update_customer(ctx.session, number, body)


@operation("POST", "/customers/<number>/member-qr", summary="Issue a fresh member QR",
           tag="customers", roles=STAFF, response=MemberQROut, status=201, problems=(409,))
def issue_member_qr(ctx: Ctx, number: str) -> dict[str, Any]:
    """The app shows ``payload`` as a QR and asks for a new one before ``expires_at``."""
    return service.issue_member_qr(ctx.session, number, QRSettings.from_config(ctx.config))


@operation("POST", "/customers/<number>/member-qr/revoke", summary="Revoke every member QR so far",
           tag="customers", roles=STAFF, response=MemberQRsRevokedOut)
def revoke_member_qrs(ctx: Ctx, number: str) -> dict[str, Any]:
    return service.revoke_member_qrs(ctx.session, number)


@operation("POST", "/customers/identify", summary="Identify a member from a scanned member QR",
           tag="customers", roles=TERMINALS | STAFF, body=IdentifyIn, response=IdentifiedMemberOut,
           problems=(404,))
def identify_member(ctx: Ctx, body: IdentifyIn) -> dict[str, Any]:
    """A till or kiosk sends what its scanner read. A forged, revoked or expired QR is refused
    (422, ``member-qr-forged`` / ``-revoked`` / ``-expired``) with what to tell the shopper."""
    return service.identify_member(ctx.session, body, QRSettings.from_config(ctx.config), ctx.who,
                                   LoyaltyRules.from_config(ctx.config))


@operation("GET", "/customers/<number>/orders", summary="A member's purchases in every channel",
           tag="customers", roles=STAFF, query=PageQuery, response=Page[PurchaseOut])
def purchase_history(ctx: Ctx, number: str) -> dict[str, Any]:
    q: PageQuery = ctx.query
    return service.purchase_history(ctx.session, number, q.cursor, q.limit)


@operation("GET", "/customers/<number>/points", summary="A member's points and latest changes",
           tag="customers", roles=STAFF, response=PointsStatementOut)
def points_statement(ctx: Ctx, number: str) -> dict[str, Any]:
    return service.points_statement(ctx.session, number)


@operation("POST", "/customers/<number>/points/redeem", summary="Redeem points for a discount",
           tag="customers", roles=STAFF | TERMINALS, body=RedeemIn, response=RedemptionOut,
           idempotent=True)
def redeem_points(ctx: Ctx, body: RedeemIn, number: str) -> dict[str, Any]:
    """Returns the discount (minor units of the bill's currency) for the order to apply; the
    same ``reference`` redeems once. Tills, kiosks and store staff send the member QR the
    shopper shows (``member_qr``); only the online shop, which signs its shoppers in itself,
    names the member by number alone."""
    if ctx.who.role != "admin":
        if not body.member_qr:
            raise Forbidden("spending points needs the member: scan their member QR and send it as "
                            "member_qr")
        if service.verify_member_qr(ctx.session, body.member_qr,
                                    QRSettings.from_config(ctx.config)).number != number:
            raise Forbidden("this member QR belongs to another member")
    return service.redeem_points(ctx.session, number, body, ctx.actor,
                                 LoyaltyRules.from_config(ctx.config))


class GivenBackOut(BaseModel):
    number: str
    points: int = Field(description="the points that came back")
    reference: str = Field(description="the redemption they came back from")
    balance: int


@operation("POST", "/customers/<number>/points/give-back",
           summary="Give back the points of a redemption that paid nothing", tag="customers",
           roles=STAFF | TERMINALS, body=GiveBackIn, response=GivenBackOut, problems=(404, 409))
def give_back_points(ctx: Ctx, body: GiveBackIn, number: str) -> dict[str, Any]:
    """A till took a points tender back before completing the sale: the points return to the
    member, once. Points that paid a recorded sale come back with a return instead (409)."""
    return service.give_back_points(ctx.session, number, body, ctx.actor)
