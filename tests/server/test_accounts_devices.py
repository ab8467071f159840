"""Staff sign-in with Argon2 hashes, roles, and devices paired with one-time codes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from store_server.accounts.models import User
from store_server.db import transaction, utcnow
from store_server.devices.models import Device
from tests.server.factories import PASSWORD, Api, Chain


def test_passwords_and_pins_are_stored_as_argon2id_hashes(chain: Chain) -> None:
    user = chain.session.execute(select(User).where(User.username == "cashier.madrid")).scalar_one()
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert user.pin_hash.startswith("$argon2id$")


def test_sign_in_gives_a_token_that_works_and_a_wrong_password_does_not(chain: Chain) -> None:
    api = chain.api()
    r = api.post("/auth/tokens", json={"username": "manager.madrid", "password": PASSWORD})
    assert r.status_code == 201 and r.json["role"] == "manager"
    me = Api(chain.app.test_client(), r.json["token"]).get("/me").json
    assert me["name"] == "manager.madrid"
    wrong = api.post("/auth/tokens", json={"username": "manager.madrid", "password": "nope"})
    nobody = api.post("/auth/tokens", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json["detail"] == nobody.json["detail"]  # does not reveal who exists


def test_a_manager_creates_cashiers_of_their_store_but_not_managers(chain: Chain) -> None:
    api = chain.api("manager.madrid")
    r = api.post("/users", json={"username": "cashier2.madrid", "role": "cashier",
                                 "store": "MAD-XANADU", "pin": "2468"})
    assert r.status_code == 201 and r.json["has_pin"] and not r.json["has_password"]
    assert api.post("/users", json={"username": "boss", "role": "manager", "store": "MAD-XANADU",
                                    "password": "long enough pw"}).status_code == 403
    assert api.post("/users", json={"username": "c3", "role": "cashier", "store": "SHA-JINQIAO",
                                    "pin": "2468"}).status_code == 403
    r = api.post("/users", json={"username": "c4", "role": "cashier", "store": "MAD-XANADU",
                                 "pin": "12"})
    assert r.status_code == 422 and "4 to 8 digits" in r.json["errors"][0]["message"]
    assert {u["username"] for u in api.get("/users").json} == {
        "manager.madrid", "cashier.madrid", "cashier2.madrid"}


def test_a_device_pairs_once_and_gets_a_token_scoped_to_its_store(chain: Chain) -> None:
    r = chain.api("manager.shanghai").post("/devices", json={
        "store": "SHA-JINQIAO", "kind": "kiosk", "name": "Kiosk by the seafood",
        "printer_url": "tcp://127.0.0.1:9100"})
    assert r.status_code == 201
    code = r.json["pairing_code"]
    paired = chain.api().post("/devices/pair", json={"code": code.lower()})
    assert paired.status_code == 201
    kiosk = Api(chain.app.test_client(), paired.json["token"])
    assert kiosk.get("/me").json["role"] == "kiosk"
    assert kiosk.get("/locations/SHA-JINQIAO/stock").status_code == 200
    assert kiosk.get("/locations/MAD-XANADU/stock").status_code == 403
    assert kiosk.post("/products", json={"code": "X", "names": {"en": "X"}}).status_code == 403
    again = chain.api().post("/devices/pair", json={"code": code})
    assert again.status_code == 401 and "new one" in again.json["detail"]


def test_an_expired_pairing_code_does_not_pair(chain: Chain) -> None:
    code = chain.api("manager.madrid").post("/devices", json={
        "store": "MAD-XANADU", "kind": "till", "name": "Till 9"}).json["pairing_code"]
    with transaction(chain.session):
        chain.session.execute(update(Device).where(Device.name == "Till 9").values(
            pairing_expires_at=utcnow() - timedelta(minutes=1)))
    r = chain.api().post("/devices/pair", json={"code": code})
    assert r.status_code == 401 and "expired" in r.json["detail"]


def test_a_manager_cannot_enrol_devices_in_another_store(chain: Chain) -> None:
    r = chain.api("manager.madrid").post("/devices", json={
        "store": "SHA-JINQIAO", "kind": "till", "name": "Sneaky till"})
    assert r.status_code == 403
    assert "Sneaky till" not in [d["name"] for d in chain.api("admin").get("/devices").json]


def test_a_retired_till_is_locked_out(chain: Chain) -> None:
    till = chain.api("till.madrid")
    device_id = till.get("/me").json["id"]
    assert chain.api("manager.shanghai").post(f"/devices/{device_id}/retire").status_code == 403
    assert chain.api("manager.madrid").post(f"/devices/{device_id}/retire").status_code == 200
    assert till.get("/me").status_code == 401


def test_a_cashier_signs_in_at_a_till_of_their_store_with_a_pin(chain: Chain) -> None:
    till = chain.api("till.madrid")
    ok = till.post("/auth/pin", json={"username": "cashier.madrid", "pin": "4321"})
    assert ok.status_code == 200 and ok.json["role"] == "cashier"
    assert till.post("/auth/pin", json={"username": "cashier.madrid", "pin": "9999"}).status_code == 401
    other = chain.api("till.shanghai").post("/auth/pin", json={"username": "cashier.madrid", "pin": "4321"})
    assert other.status_code == 401
    assert chain.api("manager.madrid").post("/auth/pin", json={
        "username": "cashier.madrid", "pin": "4321"}).status_code == 403


def test_a_till_gets_its_stores_pin_hashes_for_offline_sign_in_but_the_event_log_never_does(
    chain: Chain,
) -> None:
    from argon2 import PasswordHasher

    after = chain.api("till.madrid").get("/sync/changes", after=0, limit=100).json["resume_after"]
    chain.api("manager.madrid").post("/users", json={
        "username": "cashier3.madrid", "role": "cashier", "store": "MAD-XANADU", "pin": "2468"})
    events = chain.api("till.madrid").get("/sync/changes", after=after).json["events"]
    assert [e["type"] for e in events] == ["cashiers.changed"]
    assert "pin_hash" not in str(events)
    cashiers = {c["username"]: c for c in chain.api("till.madrid").get("/sync/cashiers").json}
    assert set(cashiers) == {"cashier.madrid", "cashier3.madrid"}
    assert PasswordHasher().verify(cashiers["cashier3.madrid"]["pin_hash"], "2468")
    shanghai = chain.api("till.shanghai").get("/sync/cashiers").json
    assert "cashier.madrid" not in {c["username"] for c in shanghai}
    assert chain.api("manager.madrid").get("/sync/cashiers").status_code == 403
