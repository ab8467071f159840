"""Back-office pages: sign-in (session cookie, CSRF), stock per location, device enrolment,
and the day's Z reports per till, in the manager's language (store_server.i18n)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_time
from babel.numbers import format_decimal
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy import Integer, func, select
from wtforms import PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from retail.i18n import LANGUAGES, LOCALES, N_, language_of
from retail.money import Money
from store_server.accounts.models import ApiToken, User
from store_server.accounts.service import issue_user_token, revoke_presented_token, sign_in_with_password
from store_server.accounts.throttle import ThrottleRules, TooManyAttempts
from store_server.api.auth import Principal, hash_token
from store_server.api.framework import db_session
from store_server.catalog.models import Sku
from store_server.db import transaction, utcnow
from store_server.devices.service import DeviceIn, enrol_device, list_devices
from store_server.errors import DomainError
from store_server.i18n import browser_language, gettext, ngettext, use_language
from store_server.inventory.models import StockLevel, StockMovement
from store_server.inventory.service import level_document
from store_server.locations.models import Location
from store_server.locations.service import get_location
from store_server.tills.cash_sessions import list_cash_sessions

backoffice = Blueprint("backoffice", __name__, url_prefix="/backoffice",
                       template_folder="templates")


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class EnrolForm(FlaskForm):
    kind = StringField("Kind", validators=[AnyOf(["till", "kiosk", "printer"])])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    printer_url = StringField("Printer URL", validators=[Length(max=300)])


# What the pages show for the codes the data holds; translated where they are shown.
KINDS = {"store": N_("Store"), "warehouse": N_("Warehouse"), "till": N_("Till"), "kiosk": N_("Kiosk"),
         "printer": N_("Printer")}
ROLES = {"admin": N_("Admin"), "manager": N_("Manager"), "cashier": N_("Cashier")}
DEVICE_STATUSES = {"awaiting_pairing": N_("Waiting for pairing"), "paired": N_("Paired"),
                   "retired": N_("Retired")}
MOVEMENTS = {"receipt": N_("Goods received"), "sale": N_("Sale"), "return": N_("Return"),
             "transfer_out": N_("Sent to another location"),
             "transfer_in": N_("Received from another location"),
             "adjustment": N_("Adjustment"), "count": N_("Count"), "reserve": N_("Reserved"),
             "release": N_("Reservation released"), "fulfil": N_("Handed over")}
DOCUMENTS = {"sale": N_("Sale"), "return": N_("Return")}
TENDERS = {"cash": N_("Cash"), "card": N_("Card"), "alipay_qr": N_("Alipay QR"),
           "alipay_code": N_("Alipay payment code"), "points": N_("Points")}
FLAGS = {"clock-corrected": N_("The till's clock was off; filed at the corrected time"),
         "future-time": N_("Dated in the future; filed when it arrived"),
         "old": N_("Reached the server more than a week after it was made"),
         "price-differs": N_("Sold at a price other than the list's at that moment"),
         "promotion-off": N_("A promotion that was not in force at that moment"),
         "times-out-of-order": N_("The till's times were out of order")}
# A refusal in a page, by its HTTP status: the service's detail is for developers (English).
REFUSALS = {403: N_("This belongs to another store; you can only see your own store's."),
            404: N_("There is nothing here: it may have been removed, or the address is wrong."),
            409: N_("This cannot be done in its present state."),
            422: N_("Some of what was entered is not valid; check it and try again.")}


def _refusal(exc: DomainError) -> str:
    return gettext(REFUSALS.get(exc.status, N_("This cannot be done.")))


@backoffice.before_request
def _speak_the_readers_language() -> None:
    """Until a signed-in manager is known (see signed_in): the browser's language."""
    use_language(browser_language(default="en"))


@backoffice.app_context_processor
def _page_words() -> dict[str, Any]:
    """Helpers the templates use to name codes and write numbers in the page's language."""
    locale = LOCALES.get(str(g.get("language", "en")), "en")
    return {
        "kind_name": lambda code: gettext(KINDS[code]) if code in KINDS else code,
        "role_name": lambda code: gettext(ROLES[code]) if code in ROLES else code,
        "device_status": lambda code: gettext(DEVICE_STATUSES[code]) if code in DEVICE_STATUSES else code,
        "movement_name": lambda code: gettext(MOVEMENTS[code]) if code in MOVEMENTS else code,
        "tender_name": lambda code: gettext(TENDERS[code]) if code in TENDERS else code,
        "flag_text": lambda code: gettext(FLAGS[code]) if code in FLAGS else code,
        "document_name": lambda code: gettext(DOCUMENTS[code]) if code in DOCUMENTS else code,
        "country_name": lambda code: Locale.parse(locale).territories.get(code, code),
        "number": lambda value: format_decimal(value, locale=locale),
        "languages": LANGUAGES,
    }


@backoffice.app_errorhandler(CSRFError)
def form_expired(_error: CSRFError) -> Any:
    """A form without a valid CSRF token: say so plainly and offer the way back."""
    if request.path.startswith("/backoffice/login") or not session.get("token"):
        return render_template("backoffice/login.html", form=LoginForm(),
                               error=gettext("The form expired; please sign in again.")), 400
    return render_template("backoffice/message.html",
                           message=gettext("The form expired; go back, reload the page and try again.")), 400


# A back-office sign-in lives on the server (an ApiToken row, its token in the signed cookie),
# so signing out ends it everywhere, even for a copy of the cookie; it also ends after a
# while without requests, and after SESSION_LIMIT in any case.
SESSION_LIMIT = dt.timedelta(hours=12)


def _session_user() -> User | None:
    token = session.get("token")
    if not isinstance(token, str):
        return None
    s = db_session()
    row = s.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                    .where(ApiToken.token_hash == hash_token(token))).first()
    now = utcnow()
    if row is None:
        return None
    record, user = row
    if record.revoked_at is not None or (record.expires_at and record.expires_at <= now):
        return None
    idle = dt.timedelta(minutes=current_app.config["BACKOFFICE_IDLE_MINUTES"])
    if record.expires_at and record.expires_at - now < idle / 2:  # still in use: slide, rarely
        with transaction(s):
            s.get(ApiToken, record.id).expires_at = min(now + idle, record.created_at + SESSION_LIMIT)  # type: ignore[union-attr]
    return user


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        user = _session_user()
        if user is None or not user.active or user.role not in ("admin", "manager"):
            ended = "token" in session  # a sign-in that was, and is no more (signed out, expired)
            session.clear()
            if ended:
                return render_template("backoffice/login.html", form=LoginForm(), error=gettext(
                    "Your session has ended; please sign in again.")), 401
            return redirect(url_for("backoffice.login", next=request.path))
        g.user = user
        g.principal = Principal("user", user.id, user.role, user.store_id, user.username)
        use_language(user.language or browser_language(default=_store_language(user)))
        return view(**kwargs)

    return wrapper


def _store_language(user: User) -> str:
    store = db_session().get(Location, user.store_id) if user.store_id else None
    return language_of(store.locale) if store else "en"


@backoffice.post("/language")
@signed_in
def choose_language() -> Any:
    """The manager's language, kept with their account for every page and every sign-in."""
    choice = request.form.get("language", "")
    if choice in LANGUAGES:
        s = db_session()
        with transaction(s):
            s.get(User, g.user.id).language = choice  # type: ignore[union-attr]
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/backoffice/") else url_for("backoffice.home"))


@backoffice.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    error = None
    status, headers = 401, {}
    if form.validate_on_submit():
        try:
            user = sign_in_with_password(db_session(), form.username.data or "", form.password.data or "",
                                         ThrottleRules.from_config(current_app.config),
                                         request.remote_addr or "")
        except TooManyAttempts as exc:
            minutes = max(1, round(exc.retry_after / 60))
            error = ngettext("Too many failed sign-ins. For your safety, signing in is paused: try again "
                             "in %(num)s minute.", "Too many failed sign-ins. For your safety, signing in "
                             "is paused: try again in %(num)s minutes.", minutes)
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
        except DomainError:
            error = gettext("Wrong username or password.")
        else:
            if user.role not in ("admin", "manager"):
                error = gettext("The back office is for managers and admins; cashiers sign in at a till.")
            else:
                idle = dt.timedelta(minutes=current_app.config["BACKOFFICE_IDLE_MINUTES"])
                issued = issue_user_token(db_session(), user, label="back office", lifetime=idle)
                session.clear()  # a fresh session on sign-in: no fixation
                session["token"] = issued["token"]
                target = request.args.get("next", "")
                if not target.startswith("/backoffice/"):
                    target = url_for("backoffice.home")
                return redirect(target)
    elif request.method == "POST":
        error = gettext("The form expired or was incomplete; please sign in again.")
    page = render_template("backoffice/login.html", form=form, error=error)
    return page, (status if error else 200), headers


@backoffice.post("/logout")
@signed_in
def logout() -> Any:
    revoke_presented_token(db_session(), session["token"])
    session.clear()
    return redirect(url_for("backoffice.login"))


def _visible_locations() -> list[Location]:
    stmt = select(Location).order_by(Location.kind.desc(), Location.name)
    if g.principal.store_id is not None:
        stmt = stmt.where(Location.id == g.principal.store_id)
    return list(db_session().execute(stmt).scalars())


@backoffice.get("/")
@signed_in
def home() -> Any:
    s = db_session()
    rows = []
    for location in _visible_locations():
        totals = s.execute(
            select(func.count(StockLevel.id),
                   func.coalesce(func.sum(StockLevel.needs_count.cast(Integer)), 0))
            .where(StockLevel.location_id == location.id)
        ).one()
        rows.append({"location": location, "levels": totals[0], "flagged": int(totals[1])})
    return render_template("backoffice/home.html", rows=rows)


@backoffice.get("/locations/<code>")
@signed_in
def location_stock(code: str) -> Any:
    s = db_session()
    try:
        location = get_location(s, code)
        g.principal.require_location(location.id)
    except DomainError as exc:
        return render_template("backoffice/message.html", message=_refusal(exc)), exc.status
    only_flagged = request.args.get("flagged") == "1"
    stmt = (
        select(StockLevel, Sku.code).join(Sku, Sku.id == StockLevel.sku_id)
        .where(StockLevel.location_id == location.id).order_by(Sku.code).limit(500)
    )
    if only_flagged:
        stmt = stmt.where(StockLevel.needs_count.is_(True))
    levels = [level_document(lvl, location.code, sku) for lvl, sku in s.execute(stmt)]
    movements = s.execute(
        select(StockMovement, Sku.code).join(Sku, Sku.id == StockMovement.sku_id)
        .where(StockMovement.location_id == location.id)
        .order_by(StockMovement.id.desc()).limit(50)
    ).all()
    return render_template("backoffice/location.html", location=location, levels=levels,
                           movements=movements, only_flagged=only_flagged)


@backoffice.route("/devices", methods=["GET", "POST"])
@signed_in
def devices() -> Any:
    s = db_session()
    form = EnrolForm()
    stores = [loc for loc in _visible_locations() if loc.kind == "store"]
    store_code = request.values.get("store") or (stores[0].code if stores else "")
    enrolled = error = None
    if form.validate_on_submit():
        try:
            enrolled = enrol_device(s, DeviceIn(
                store=store_code, kind=form.kind.data, name=form.name.data or "",  # type: ignore[arg-type]
                printer_url=form.printer_url.data or "",
            ), g.principal)
            flash(gettext("Enrolled %(name)s", name=enrolled["name"]))
        except DomainError as exc:
            error = _refusal(exc)
    elif request.method == "POST":
        error = gettext("Please give the device a name and a kind (till, kiosk or printer).")
    return render_template("backoffice/devices.html", form=form, stores=stores,
                           store_code=store_code, enrolled=enrolled, error=error,
                           devices=list_devices(s, g.principal))


@backoffice.get("/z-reports")
@signed_in
def z_reports() -> Any:
    """Closing the day: per till, expected against counted cash and the sales by tender the
    till reported beside those the server recorded for its session."""
    s = db_session()
    stores = [loc for loc in _visible_locations() if loc.kind == "store"]
    if not stores:
        message = gettext("There is no store to report on.")
        return render_template("backoffice/message.html", message=message), 404
    code = request.args.get("store") or stores[0].code
    try:
        day = dt.date.fromisoformat(request.args["date"]) if request.args.get("date") else None
    except ValueError:
        return render_template("backoffice/message.html",
                               message=gettext("The date should read YYYY-MM-DD, e.g. 2026-11-22.")), 400
    try:
        report = list_cash_sessions(s, g.principal, code, day)
    except DomainError as exc:
        return render_template("backoffice/message.html", message=_refusal(exc)), exc.status
    location = get_location(s, report["store"])

    reader = LOCALES[str(g.language)]

    def money(amount: int) -> str:
        # The store's currency, written the way the reader writes numbers.
        return Money(amount, location.currency).format(reader)

    return render_template("backoffice/z_reports.html", report=report, stores=stores,
                           location=location, money=money, local_time=_local_time(location.timezone, reader),
                           local_date_time=_local_time(location.timezone, reader, with_date=True))


def _local_time(timezone: str, locale: str, with_date: bool = False) -> Callable[[str], str]:
    """A timestamp as the store's clock shows it (a manager reads the till's hours), written
    the reader's way."""
    zone = ZoneInfo(timezone)

    def show(iso: str) -> str:
        moment = dt.datetime.fromisoformat(iso).astimezone(zone)
        if with_date:
            return format_datetime(moment, "short", tzinfo=zone, locale=locale)
        return format_time(moment, "short", tzinfo=zone, locale=locale)

    return show
