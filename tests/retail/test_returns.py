"""Refunds of returned lines: shares of what was paid that add up to the line exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retail.returns import (
    Refundable,
    ReturnError,
    SoldLine,
    line_refund,
    refundable,
    return_refunds,
    round_half_up,
)


def test_three_returns_of_a_three_for_ten_line_refund_exactly_ten() -> None:
    # 3 for 10.00: 3.33, 3.34, 3.33; never 3.33 three times with a cent left behind.
    refunds = [line_refund(1000, 3, before, 1) for before in range(3)]
    assert refunds == [333, 334, 333] and sum(refunds) == 1000
    assert line_refund(1000, 3, 0, 3) == 1000


def test_a_discounted_line_refunds_what_was_paid_not_the_shelf_price() -> None:
    # Two earbuds at 49.99 with 10.00 off the line: 89.98 paid, 44.99 back for one.
    assert line_refund(8998, 2, 0, 1) == 4499
    assert line_refund(8998, 2, 1, 1) == 4499


def test_weighed_goods_return_by_the_gram() -> None:
    # 350 g of salmon for 65.80 CNY; 100 g come back.
    assert line_refund(6580, 350, 0, 100) == 1880
    assert line_refund(6580, 350, 100, 250) == 6580 - 1880


def test_returning_more_than_is_left_is_refused() -> None:
    with pytest.raises(ReturnError) as caught:
        line_refund(1000, 3, 2, 2)
    assert caught.value.code == "over-return"
    with pytest.raises(ValueError):
        line_refund(1000, 0, 0, 0)
    with pytest.raises(TypeError):
        line_refund(10.0, 1, 0, 1)  # type: ignore[arg-type]


def test_round_half_up_rounds_halves_up() -> None:
    assert [round_half_up(n, 2) for n in range(6)] == [0, 1, 1, 2, 2, 3]
    assert round_half_up(5, 10) == 1 and round_half_up(4, 10) == 0


def test_refundable_says_what_is_left_of_each_line() -> None:
    lines = [SoldLine(8998, 2), (799, 1)]
    assert refundable(lines, {0: 1}) == [Refundable(0, 1, 4499), Refundable(1, 1, 799)]
    assert refundable(lines, {0: 2, 1: 1}) == [Refundable(0, 0, 0), Refundable(1, 0, 0)]


def test_return_refunds_checks_every_line_and_names_the_one_that_fails() -> None:
    lines = [SoldLine(8998, 2), SoldLine(799, 1)]
    assert return_refunds(lines, {}, [(0, 1), (1, 1)]) == {0: 4499, 1: 799}
    for wanted, code, line in (([(2, 1)], "unknown-line", 2), ([(0, 1), (0, 1)], "unknown-line", 0),
                               ([(1, 2)], "over-return", 1), ([(0, 0)], "over-return", 0)):
        with pytest.raises(ReturnError) as caught:
            return_refunds(lines, {}, wanted)
        assert (caught.value.code, caught.value.line) == (code, line)
    with pytest.raises(ReturnError, match="only 0 of 1"):
        return_refunds(lines, {1: 1}, [(1, 1)])


@given(net=st.integers(0, 10**9), sold=st.integers(1, 5000), data=st.data())
def test_refunds_over_any_sequence_of_returns_add_up_to_the_net(net: int, sold: int,
                                                                data: st.DataObject) -> None:
    before, total = 0, 0
    while before < sold:
        qty = data.draw(st.integers(1, sold - before))
        refund = line_refund(net, sold, before, qty)
        assert 0 <= refund <= net
        # Never more than the exact share rounded up, never less than rounded down.
        assert abs(refund * sold - net * qty) <= sold
        total += refund
        before += qty
    assert total == net
