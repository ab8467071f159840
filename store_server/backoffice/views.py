"""Back-office pages: sign-in (session cookie, CSRF), stock per location, device enrolment,
and the day's Z reports per till."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy import Integer, func, select
from wtforms import PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

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


@backoffice.app_errorhandler(CSRFError)
def form_expired(_error: CSRFError) -> Any:
    """A form without a valid CSRF token: say so plainly and offer the way back."""
    if request.path.startswith("/backoffice/login") or not session.get("token"):
        return render_template("backoffice/login.html", form=LoginForm(),
                               error="The form expired; please sign in again."), 400
    return render_template("backoffice/message.html",
                           message="The form expired; go back, reload the page and try again."), 400


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
            session.clear()
            return redirect(url_for("backoffice.login", next=request.path))
        g.user = user
        g.principal = Principal("user", user.id, user.role, user.store_id, user.username)
        return view(**kwargs)

    return wrapper


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
            error = (f"Too many failed sign-ins. For your safety, signing in is paused: try again in "
                     f"{minutes} minute{'s' if minutes != 1 else ''}.")
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
        except DomainError as exc:
            error = exc.detail
        else:
            if user.role not in ("admin", "manager"):
                error = "The back office is for managers and admins; cashiers sign in at a till."
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
        error = "The form expired or was incomplete; please sign in again."
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
        return render_template("backoffice/message.html", message=exc.detail), exc.status
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
            flash(f"Enrolled {enrolled['name']}")
        except DomainError as exc:
            error = exc.detail
    elif request.method == "POST":
        error = "Please give the device a name and a kind (till, kiosk or printer)."
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
        return render_template("backoffice/message.html", message="There is no store to report on."), 404
    code = request.args.get("store") or stores[0].code
    try:
        day = dt.date.fromisoformat(request.args["date"]) if request.args.get("date") else None
    except ValueError:
        return render_template("backoffice/message.html",
                               message="The date should read YYYY-MM-DD, e.g. 2026-11-22."), 400
    try:
        report = list_cash_sessions(s, g.principal, code, day)
    except DomainError as exc:
        return render_template("backoffice/message.html", message=exc.detail), exc.status
    location = get_location(s, report["store"])

    def money(amount: int) -> str:
        return Money(amount, location.currency).format(location.locale)

    return render_template("backoffice/z_reports.html", report=report, stores=stores,
                           location=location, money=money, local_time=_local_time(location.timezone),
                           local_date_time=_local_time(location.timezone, "%Y-%m-%d %H:%M"))


def _local_time(timezone: str, pattern: str = "%H:%M") -> Callable[[str], str]:
    """A timestamp as the store's clock shows it: a manager reads the till's hours."""
    zone = ZoneInfo(timezone)
    return lambda iso: dt.datetime.fromisoformat(iso).astimezone(zone).strftime(pattern)
