"""The till's sense of time, without a server: what an answer's Date header teaches it, what it
stamps on documents, and what it keeps across a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from pos_client.clock import BOOT_ID_PATH, TillClock, boot_id, shown_time
from tests.pos_client.clocks import TillClocks


def _date_header(at: datetime) -> str:
    return format_datetime(at.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _answer(clock: TillClock, server_now: datetime, round_trip: float = 0.05) -> None:
    """The server answered, its Date header saying ``server_now``, within ``round_trip``."""
    ended = clock.monotonic()
    clock.observe(_date_header(server_now), ended - round_trip, ended)


def test_a_till_that_hears_from_the_server_knows_its_clock_is_off_and_prices_at_the_servers_time(
        tmp_path: Path) -> None:
    clocks = TillClocks(skew=timedelta(hours=5))
    clock = clocks.till_clock(tmp_path / "clock.json")
    assert clock.status() == {"offset": None, "warning": False}  # it has heard nothing yet
    assert "server_time" not in clock.read().stamp
    _answer(clock, clocks.true_now())
    status = clock.status()
    assert status["warning"] and abs(status["offset"] - 5 * 3600) < 2
    reading = clock.read()
    assert abs(reading.now - clocks.true_now()) < timedelta(seconds=2)
    assert reading.wall - reading.now > timedelta(hours=4, minutes=59)
    assert reading.stamp["boot"] == "test-boot"
    stamped = datetime.fromisoformat(reading.stamp["server_time"])
    assert abs(stamped - clocks.true_now()) < timedelta(seconds=2)
    # NTP sets the wall clock right: the warning goes at once, the server's time stays known.
    clocks.set_right()
    assert clock.status()["warning"] is False
    assert abs(clock.now() - clocks.true_now()) < timedelta(seconds=2)


def test_a_clock_a_few_seconds_off_raises_no_warning() -> None:
    clocks = TillClocks(skew=timedelta(seconds=20))
    clock = clocks.till_clock()
    _answer(clock, clocks.true_now())
    assert clock.status()["warning"] is False


def test_a_slow_answer_does_not_replace_a_good_reading_and_nonsense_is_ignored() -> None:
    clocks = TillClocks()
    clock = clocks.till_clock()
    _answer(clock, clocks.true_now())
    # A 20-second answer whose Date header is an hour off (a proxy's cache, say) says less.
    _answer(clock, clocks.true_now() + timedelta(hours=1), round_trip=20)
    for header in (None, "", "yesterday", "Sun, 06 Nov 1994 08:49:37"):
        clock.observe(header, clock.monotonic() - 0.01, clock.monotonic())
    assert abs(clock.now() - clocks.true_now()) < timedelta(seconds=2)


def test_a_restarted_agent_keeps_what_it_knew_in_this_boot_but_not_after_a_reboot(tmp_path: Path) -> None:
    state = tmp_path / "clock.json"
    clocks = TillClocks(skew=-timedelta(hours=3))
    _answer(clocks.till_clock(state), clocks.true_now())
    restarted = clocks.till_clock(state)
    assert abs(restarted.now() - clocks.true_now()) < timedelta(seconds=2)
    assert restarted.status()["warning"]
    clocks.boot = "after-a-reboot"
    rebooted = clocks.till_clock(state)
    assert rebooted.status()["offset"] is None and "server_time" not in rebooted.read().stamp


def test_pushes_carry_the_clocks_as_they_are_sent() -> None:
    clocks = TillClocks(skew=timedelta(minutes=7))
    sending = clocks.till_clock().sending()
    assert abs(datetime.fromisoformat(sending["sent_at"]) - clocks.wall()) < timedelta(seconds=1)
    assert sending["sent_clock"]["boot"] == "test-boot" and sending["sent_clock"]["monotonic"] > 0


def test_readings_name_the_boot_they_belong_to() -> None:
    expected = BOOT_ID_PATH.read_text().strip() if BOOT_ID_PATH.exists() else None
    assert boot_id() == (expected or boot_id()) and boot_id() == TillClock().read().stamp["boot"]


def test_receipts_show_the_servers_time_the_till_knew() -> None:
    body = {"occurred_at": "2026-11-23T15:00:00+00:00",
            "clock": {"boot": "b", "monotonic": 1.0, "server_time": "2026-11-23T10:00:00+00:00"}}
    assert shown_time(body, "occurred_at") == "2026-11-23T10:00:00+00:00"
    assert shown_time({"occurred_at": body["occurred_at"]}, "occurred_at") == body["occurred_at"]
