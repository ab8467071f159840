"""The back office: session sign-in protected by CSRF, stock pages, device enrolment."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.server.factories import PASSWORD, Chain, csrf_token


def _csrf(client: FlaskClient, path: str) -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def _sign_in(client: FlaskClient, username: str) -> None:
    token = _csrf(client, "/backoffice/login")
    r = client.post("/backoffice/login", data={"username": username, "password": PASSWORD,
                                               "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)


def test_pages_need_a_signed_in_manager(chain: Chain) -> None:
    r = chain.app.test_client().get("/backoffice/")
    assert r.status_code == 302 and "/backoffice/login" in r.headers["Location"]


def test_sign_in_without_the_csrf_token_is_refused(chain: Chain) -> None:
    client = chain.app.test_client()
    r = client.post("/backoffice/login", data={"username": "manager.madrid", "password": PASSWORD})
    assert r.status_code == 400
    assert "The form expired; please sign in again." in r.get_data(as_text=True)
    assert client.get("/backoffice/").status_code == 302


def test_wrong_password_says_so_and_cashiers_are_sent_to_the_till(chain: Chain) -> None:
    client = chain.app.test_client()
    token = _csrf(client, "/backoffice/login")
    r = client.post("/backoffice/login", data={"username": "manager.madrid", "password": "x",
                                               "csrf_token": token})
    assert r.status_code == 401 and "Wrong username or password." in r.get_data(as_text=True)
    token = _csrf(client, "/backoffice/login")
    r = client.post("/backoffice/login", data={"username": "cashier.madrid", "password": PASSWORD,
                                               "csrf_token": token})
    assert "sign in at a till" in r.get_data(as_text=True)


def test_manager_sees_their_store_and_items_flagged_for_counting(chain: Chain) -> None:
    client = chain.app.test_client()
    _sign_in(client, "manager.madrid")
    home = client.get("/backoffice/").get_data(as_text=True)
    assert "Plaza Madrid Xanadú" in home and "Hema Jinqiao" not in home
    stock = client.get("/backoffice/locations/MAD-XANADU").get_data(as_text=True)
    assert "EARBUDS" in stock and "DN-1" in stock
    assert client.get("/backoffice/locations/SHA-JINQIAO").status_code == 403


def test_manager_enrols_a_till_and_reads_its_pairing_code(chain: Chain) -> None:
    client = chain.app.test_client()
    _sign_in(client, "manager.madrid")
    token = _csrf(client, "/backoffice/devices")
    r = client.post("/backoffice/devices", data={
        "store": "MAD-XANADU", "kind": "till", "name": "Till 4", "printer_url": "tcp://127.0.0.1:9100",
        "csrf_token": token})
    html = r.get_data(as_text=True)
    code = re.search(r'id="pairing-code">([A-Z0-9-]+)<', html)
    assert code, html
    paired = chain.api().post("/devices/pair", json={"code": code.group(1)})
    assert paired.status_code == 201 and paired.json["device"]["name"] == "Till 4"


def test_sign_out_needs_the_csrf_token_too(chain: Chain) -> None:
    client = chain.app.test_client()
    _sign_in(client, "manager.madrid")
    assert client.post("/backoffice/logout").status_code == 400
    assert client.get("/backoffice/").status_code == 200
    token = _csrf(client, "/backoffice/")
    assert client.post("/backoffice/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/backoffice/").status_code == 302
