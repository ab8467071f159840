"""Sign-in throttling shared by every server process, and sign-ins that can be ended."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import requests
from flask import Flask
from sqlalchemy import select

from store_server.accounts.models import AuditEntry
from store_server.api.auth import Principal
from store_server.devices.service import DeviceIn, enrol_device
from tests.server.conftest import running_server
from tests.server.factories import PASSWORD, Chain, back_office, csrf_token

LIMITS = {"PLAZA_SIGNIN_ACCOUNT_LIMIT": "5", "PLAZA_SIGNIN_SOURCE_LIMIT": "12",
          "PLAZA_SIGNIN_LOCKOUT_S": "2"}


def _until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.2)


def _back_office_sign_in(base: str, username: str, password: str) -> requests.Response:
    client = requests.Session()
    token = csrf_token(client.get(base + "/backoffice/login", timeout=10).text)
    return client.post(base + "/backoffice/login", timeout=10, allow_redirects=False, data={
        "username": username, "password": password, "csrf_token": token})


def test_guessing_is_locked_out_on_every_sign_in_route_across_two_servers(
        app: Flask, chain: Chain, tmp_path: Path) -> None:
    url = app.config["DATABASE_URL"]
    with running_server(url, tmp_path / "a", env=LIMITS) as a, \
            running_server(url, tmp_path / "b", env=LIMITS) as b:
        servers = [a, b]

        def password(base: str, pw: str) -> int:
            return requests.post(base + "/api/v1/auth/tokens", timeout=10, json={
                "username": "admin", "password": pw}).status_code

        def pin(base: str, code: str) -> int:
            return requests.post(base + "/api/v1/auth/pin", timeout=10, json={
                "username": "cashier.madrid", "pin": code},
                headers={"Authorization": f"Bearer {chain.tokens['till.madrid']}"}).status_code

        def back_office(base: str, pw: str) -> int:
            return _back_office_sign_in(base, "manager.shanghai", pw).status_code

        for route, wrong, right, ok in [(password, "guess", PASSWORD, 201), (pin, "0000", "4321", 200),
                                        (back_office, "guess", PASSWORD, 302)]:
            # Five wrong answers, spread over both servers, are let through as 401s ...
            assert [route(servers[i % 2], wrong) for i in range(5)] == [401] * 5, route.__name__
            # ... the sixth and any further are refused on either server, even the right one.
            assert route(a, wrong) == 429 and route(b, right) == 429, route.__name__
            _until(lambda route=route, right=right, ok=ok: route(b, right) == ok,
                   f"{route.__name__} works again after the lockout")

        r = requests.post(a + "/api/v1/auth/tokens", timeout=10, json={"username": "admin", "password": "x"})
        assert r.status_code == 401  # the count starts again after a good sign-in
        locked = requests.post(b + "/api/v1/auth/tokens", timeout=10,
                               json={"username": "admin", "password": "x"})
        assert locked.status_code == 401

        # Pairing codes are counted per client address: 12 wrong codes, then 429 with Retry-After.
        codes = [requests.post(servers[i % 2] + "/api/v1/devices/pair", timeout=10,
                               json={"code": f"WRNG-CODE-{i:04d}"}).status_code for i in range(13)]
        assert codes == [401] * 12 + [429]
        blocked = requests.post(a + "/api/v1/devices/pair", timeout=10, json={"code": "ABCD-EFGH-JKMN"})
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
        assert blocked.headers["Content-Type"] == "application/problem+json"

    chain.session.rollback()
    locked_keys = chain.session.execute(select(AuditEntry.subject).where(
        AuditEntry.action == "sign-in.locked")).scalars().all()
    assert {"account:admin", "pin:2:cashier.madrid", "account:manager.shanghai",
            "pairing:127.0.0.1"} <= set(locked_keys)


def test_a_revoked_token_and_a_signed_out_one_are_refused(chain: Chain) -> None:
    api = chain.api()
    first = api.post("/auth/tokens", json={"username": "manager.madrid", "password": PASSWORD}).json["token"]
    second = api.post("/auth/tokens", json={"username": "manager.madrid", "password": PASSWORD}).json["token"]
    mine = chain.api("manager.madrid")
    mine.token = second
    listed = mine.get("/auth/tokens").json
    assert len(listed) == 3 and [t["current"] for t in listed].count(True) == 1
    first_id = next(t["id"] for t in listed if not t["current"] and t["label"] == "api sign-in")
    # Another store's manager cannot even see that the token exists.
    assert chain.api("manager.shanghai").post(f"/auth/tokens/{first_id}/revoke").status_code == 404
    assert mine.post(f"/auth/tokens/{first_id}/revoke").json["revoked_at"]
    revoked = chain.api()
    revoked.token = first
    assert revoked.get("/me").status_code == 401
    # An admin ends anyone's sign-in; signing out ends the token presented.
    theirs = chain.api("admin").get("/auth/tokens", user="manager.madrid").json
    assert {t["id"] for t in theirs} == {t["id"] for t in listed if t["id"] != first_id}
    assert mine.post("/auth/sign-out").status_code == 200
    assert mine.get("/me").status_code == 401
    assert chain.api("cashier.madrid").get("/auth/tokens", user="admin").status_code == 403
    chain.session.rollback()
    assert chain.session.execute(select(AuditEntry).where(AuditEntry.action == "token.revoked")).first()


def test_a_copied_back_office_cookie_is_dead_after_sign_out(chain: Chain) -> None:
    client = back_office(chain.app, "manager.madrid")
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = chain.app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/backoffice/").status_code == 200
    home = client.get("/backoffice/").get_data(as_text=True)
    assert client.post("/backoffice/logout", data={"csrf_token": csrf_token(home)}).status_code == 302
    r = thief.get("/backoffice/")
    assert r.status_code == 401 and "Your session has ended" in r.get_data(as_text=True)


def test_a_kiosk_gets_nothing_of_the_cashiers(chain: Chain) -> None:
    admin = Principal("user", 1, "admin", None, "admin")
    kiosk = enrol_device(chain.session, DeviceIn(store="MAD-XANADU", kind="kiosk", name="Kiosk 1"), admin)
    token = chain.api().post("/devices/pair", json={"code": kiosk["pairing_code"]}).json["token"]
    api = chain.api()
    api.token = token
    assert api.get("/sync/cashiers").status_code == 403
    assert api.post("/auth/pin", json={"username": "cashier.madrid", "pin": "4321"}).status_code == 403
    assert chain.api("till.madrid").get("/sync/cashiers").status_code == 200
