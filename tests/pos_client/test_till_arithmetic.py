"""The till's own arithmetic, without a server: where a refund goes back, and what the drawer
should hold."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from pos_client.cash_session import tally
from pos_client.outbox import Outbox
from pos_client.returns import find_sale, plan_refunds
from pos_client.sale import SaleError

SPLIT = [{"kind": "cash", "amount": 3000, "reference": "", "refunded": 0},
         {"kind": "alipay_qr", "amount": 1500, "reference": "pay_1", "refunded": 0},
         {"kind": "card", "amount": 500, "reference": "AUTH42", "refunded": 0},
         {"kind": "cash", "amount": 200, "reference": "", "refunded": 0}]


def test_a_refund_goes_back_to_the_wallet_and_card_first_then_the_drawer() -> None:
    assert plan_refunds(SPLIT, 1000) == [{"kind": "alipay_qr", "amount": 1000, "reference": "",
                                          "payment": "pay_1"}]
    assert plan_refunds(SPLIT, 5200) == [
        {"kind": "alipay_qr", "amount": 1500, "reference": "", "payment": "pay_1"},
        {"kind": "card", "amount": 500, "reference": "AUTH42"},
        {"kind": "cash", "amount": 3200, "reference": ""}]  # both cash tenders, as one refund
    refunded = [{**t, "refunded": t["amount"]} if t["kind"] != "cash" else t for t in SPLIT]
    assert plan_refunds(refunded, 700) == [{"kind": "cash", "amount": 700, "reference": ""}]
    with pytest.raises(SaleError) as caught:
        plan_refunds(refunded, 3201)
    assert caught.value.code == "over-refund"


def test_the_drawer_holds_the_float_the_cash_taken_and_moved_less_what_went_back() -> None:
    session = {"uuid": "s", "opened_at": "2026-01-01T08:00:00+00:00", "opened_by": "ana",
               "float": 10000, "currency": "EUR"}
    sales = [{"tenders": [{"kind": "cash", "amount": 1250, "tendered": 2000}]},
             {"tenders": [{"kind": "cash", "amount": 500}, {"kind": "alipay_qr", "amount": 999}]}]
    returns = [{"refunds": [{"kind": "cash", "amount": 300}, {"kind": "alipay_qr", "amount": 999}]}]
    movements = [{"kind": "in", "amount": 2000, "reason": "change", "at": "", "cashier": "ana"},
                 {"kind": "out", "amount": 5000, "reason": "safe", "at": "", "cashier": "ana"}]
    report = tally(session, "Caja 1", sales, returns, movements)
    assert report["sales_by_tender"] == {"cash": 1750, "alipay_qr": 999}
    assert report["refunds_by_tender"] == {"cash": 300, "alipay_qr": 999}
    assert (report["sales_count"], report["returns_count"]) == (2, 1)
    assert report["expected_cash"] == 10000 + 1750 - 300 + 2000 - 5000


class _ServerThatHasNotSeenTheReturn:
    """The server's copy of a sale, read just before this till's return of it reached it."""

    def __init__(self, sale: dict[str, Any]) -> None:
        self.recorded = sale

    def sale(self, uuid: str) -> dict[str, Any]:
        return copy.deepcopy(self.recorded)


def test_a_return_that_syncs_while_the_sale_is_looked_up_is_not_refunded_twice(tmp_path: Path) -> None:
    sale_uuid, return_uuid = "0b6f3a52-6f0e-4f7e-9d55-1a1ad1f0c0de", "5d4d3a52-6f0e-4f7e-9d55-1a1ad1f0c0de"
    recorded = {"uuid": sale_uuid, "refunded_total": 0, "returns": [],
                "lines": [{"line": 0, "sku": "PHONE", "quantity": 1, "net": 22900, "returned": 0}],
                "tenders": [{"kind": "cash", "amount": 22900, "reference": "", "refunded": 0}]}
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.add_document("return", {"uuid": return_uuid, "original_sale": sale_uuid, "total": 22900,
                                   "lines": [{"line": 0, "quantity": 1}],
                                   "refunds": [{"kind": "cash", "amount": 22900}]}, original=sale_uuid)
    outbox.record_document(return_uuid, "accepted", number="R1")  # it reached the server meanwhile
    found = find_sale(sale_uuid, _ServerThatHasNotSeenTheReturn(recorded), outbox, None, online=True)
    assert [(ln["returned"], ln["returnable"]) for ln in found["lines"]] == [(1, 0)]
    assert found["tenders"][0]["refunded"] == 22900

    recorded["lines"][0]["returned"] = 1  # once the server counts it, it is counted once
    recorded["returns"] = [{"uuid": return_uuid}]
    recorded["tenders"][0]["refunded"] = recorded["refunded_total"] = 22900
    found = find_sale(sale_uuid, _ServerThatHasNotSeenTheReturn(recorded), outbox, None, online=True)
    assert [(ln["returned"], ln["returnable"]) for ln in found["lines"]] == [(1, 0)]
    assert found["refunded_total"] == 22900
