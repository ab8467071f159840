"""HTTP for members: accounts and consents, member QR, identifying a shopper, points, history."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from store_server.api import Ctx, operation
from store_server.api.auth import STAFF, TERMINALS
from store_server.api.pagination import PageQuery
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
    phone: str | None = Field(None, description="the member's phone, any formatting")
    email: str | None = None


@operation("POST", "/customers", summary="Register a member", tag="customers", roles=STAFF,
           body=CustomerIn, status=201, idempotent=True)
def register_customer(ctx: Ctx, body: CustomerIn) -> dict[str, Any]:
    """Staff at a till or the online shop (its admin token) register a member with a phone or
    an email, a preferred language and their consents (both off unless given)."""
    return service.register_customer(ctx.session, body)


@operation("GET", "/customers", summary="Find a member by phone or email", tag="customers",
           roles=STAFF, query=LookupQuery)
def find_customer(ctx: Ctx) -> dict[str, Any]:
    q: LookupQuery = ctx.query
    return service.find_customer(ctx.session, q.phone, q.email)


@operation("GET", "/customers/<number>", summary="A member's account", tag="customers", roles=STAFF)
def get_customer(ctx: Ctx, number: str) -> dict[str, Any]:
    return service.customer_document(service.get_customer(ctx.session, number))


@operation("PATCH", "/customers/<number>", summary="Change a member's details or consents",
           tag="customers", roles=STAFF, body=CustomerPatch)
def update_customer(ctx: Ctx, body: CustomerPatch, number: str) -> dict[str, Any]:
    """Withdrawing consent to personalised recommendations also deletes the ones computed."""
    return service.update_customer(ctx.session, number, body)


@operation("POST", "/customers/<number>/member-qr", summary="Issue a fresh member QR",
           tag="customers", roles=STAFF, status=201)
def issue_member_qr(ctx: Ctx, number: str) -> dict[str, Any]:
    """The app shows ``payload`` as a QR and asks for a new one before ``expires_at``."""
    return service.issue_member_qr(ctx.session, number, QRSettings.from_config(ctx.config))


@operation("POST", "/customers/<number>/member-qr/revoke", summary="Revoke every member QR so far",
           tag="customers", roles=STAFF)
def revoke_member_qrs(ctx: Ctx, number: str) -> dict[str, Any]:
    return service.revoke_member_qrs(ctx.session, number)


@operation("POST", "/customers/identify", summary="Identify a member from a scanned member QR",
           tag="customers", roles=TERMINALS | STAFF, body=IdentifyIn)
def identify_member(ctx: Ctx, body: IdentifyIn) -> dict[str, Any]:
    """A till or kiosk sends what its scanner read. A forged, revoked or expired QR is refused
    (422, ``member-qr-forged`` / ``-revoked`` / ``-expired``) with what to tell the shopper."""
    return service.identify_member(ctx.session, body, QRSettings.from_config(ctx.config), ctx.who,
                                   LoyaltyRules.from_config(ctx.config))


@operation("GET", "/customers/<number>/orders", summary="A member's purchases in every channel",
           tag="customers", roles=STAFF, query=PageQuery)
def purchase_history(ctx: Ctx, number: str) -> dict[str, Any]:
    q: PageQuery = ctx.query
    return service.purchase_history(ctx.session, number, q.cursor, q.limit)


@operation("GET", "/customers/<number>/points", summary="A member's points and latest changes",
           tag="customers", roles=STAFF)
def points_statement(ctx: Ctx, number: str) -> dict[str, Any]:
    return service.points_statement(ctx.session, number)


@operation("POST", "/customers/<number>/points/redeem", summary="Redeem points for a discount",
           tag="customers", roles=STAFF | TERMINALS, body=RedeemIn, idempotent=True)
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


@operation("POST", "/customers/<number>/points/give-back",
           summary="Give back the points of a redemption that paid nothing", tag="customers",
           roles=STAFF | TERMINALS, body=GiveBackIn)
def give_back_points(ctx: Ctx, body: GiveBackIn, number: str) -> dict[str, Any]:
    """A till took a points tender back before completing the sale: the points return to the
    member, once. Points that paid a recorded sale come back with a return instead (409)."""
    return service.give_back_points(ctx.session, number, body, ctx.actor)
