"""Property: whatever sequence of receipts, adjustments, transfers, counts and till sales
happens, in whatever order and concurrently, every level equals the sum of its movements,
reserved never goes negative, and a refused operation leaves no trace."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store_server.catalog.service import skus_by_code
from store_server.db import transaction, utcnow
from store_server.errors import DomainError
from store_server.inventory.models import StockLevel, StockMovement
from store_server.inventory.service import (
    AdjustmentIn,
    CountIn,
    CountLineIn,
    LineIn,
    Movement,
    ReceiptIn,
    TransferIn,
    adjust,
    apply_movements,
    dispatch_transfer,
    receive,
    record_count,
    verify,
)
from store_server.locations.service import get_location
from tests.server.factories import Chain

LOCATIONS = ["WH-ONLINE", "MAD-XANADU", "SHA-JINQIAO"]
SKUS = ["EARBUDS", "TEA", "PHONE-128-BLK"]

operation = st.one_of(
    st.tuples(st.just("receive"), st.sampled_from(LOCATIONS), st.sampled_from(SKUS),
              st.integers(1, 50), st.integers(0, 120)),
    st.tuples(st.just("adjust"), st.sampled_from(LOCATIONS), st.sampled_from(SKUS),
              st.integers(-30, 30), st.integers(0, 120)),
    st.tuples(st.just("transfer"), st.sampled_from(LOCATIONS), st.sampled_from(LOCATIONS),
              st.sampled_from(SKUS), st.integers(1, 30), st.booleans()),
    st.tuples(st.just("count"), st.sampled_from(LOCATIONS), st.sampled_from(SKUS),
              st.integers(0, 60), st.integers(0, 120)),
    st.tuples(st.just("sale"), st.sampled_from(LOCATIONS), st.sampled_from(SKUS),
              st.integers(1, 10), st.integers(0, 120)),
)


def _footprint(session: Session) -> tuple[int, int]:
    session.rollback()
    return (session.scalar(select(func.count(StockMovement.id))) or 0,
            session.scalar(select(func.coalesce(func.sum(StockLevel.on_hand), 0))) or 0)


def run(session: Session, op: tuple, seq: int) -> bool:
    """Carry out one operation; True if it was accepted."""
    kind, *args = op
    now = utcnow()
    try:
        if kind == "receive":
            loc, sku, qty, minutes_ago = args
            receive(session, ReceiptIn(location=loc, document=f"P-{seq}-{random.random()}",
                                       occurred_at=now - timedelta(minutes=minutes_ago),
                                       lines=[LineIn(sku=sku, quantity=qty)]), "prop")
        elif kind == "adjust":
            loc, sku, delta, minutes_ago = args
            if delta == 0:
                return False
            adjust(session, AdjustmentIn(location=loc, sku=sku, delta=delta, reason="prop",
                                         occurred_at=now - timedelta(minutes=minutes_ago)), "prop")
        elif kind == "transfer":
            source, target, sku, qty, receive_now = args
            dispatch_transfer(session, TransferIn(from_location=source, to_location=target,
                                                  receive_now=receive_now,
                                                  lines=[LineIn(sku=sku, quantity=qty)]), "prop")
        elif kind == "count":
            loc, sku, counted, minutes_ago = args
            record_count(session, CountIn(location=loc, counted_at=now - timedelta(minutes=minutes_ago),
                                          lines=[CountLineIn(sku=sku, counted=counted)]), "prop")
        elif kind == "sale":
            loc, sku, qty, minutes_ago = args
            with transaction(session):
                apply_movements(session, [Movement(
                    get_location(session, loc).id, skus_by_code(session, [sku])[sku], "sale", -qty,
                    now - timedelta(minutes=minutes_ago), document=f"sale:{seq}")])
        return True
    except DomainError:
        return False


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_any_sequence_keeps_levels_equal_to_the_ledger(chain: Chain, ops: list[tuple]) -> None:
    session = chain.session
    for seq, op in enumerate(ops):
        before = _footprint(session)
        if not run(session, op, seq):
            assert _footprint(session) == before, f"refused {op} left a trace"
    session.rollback()
    assert verify(session) == []
    assert session.scalar(select(func.min(StockLevel.reserved))) >= 0


def test_concurrent_operations_keep_the_ledger_whole(chain: Chain) -> None:
    factory = chain.app.extensions["plaza"].session_factory
    rng = random.Random(7)
    plans = [[_random_op(rng) for _ in range(40)] for _ in range(4)]
    errors: list[BaseException] = []

    def worker(plan: list[tuple], n: int) -> None:
        try:
            with factory() as session:
                for i, op in enumerate(plan):
                    run(session, op, n * 1000 + i)
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(plan, n)) for n, plan in enumerate(plans)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    chain.session.rollback()
    assert verify(chain.session) == []


def _random_op(rng: random.Random) -> tuple:
    kind = rng.choice(["receive", "adjust", "transfer", "count", "sale"])
    loc, sku = rng.choice(LOCATIONS), rng.choice(SKUS)
    if kind == "transfer":
        return (kind, loc, rng.choice(LOCATIONS), sku, rng.randint(1, 10), rng.random() < 0.5)
    amount = {"receive": rng.randint(1, 20), "adjust": rng.randint(-5, 5),
              "count": rng.randint(0, 30), "sale": rng.randint(1, 5)}[kind]
    return (kind, loc, sku, amount, rng.randint(0, 60))
