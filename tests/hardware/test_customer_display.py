"""The 2×20 customer display, through pyserial's loopback port."""

from __future__ import annotations

from hardware.customer_display import CLEAR, INIT, PoleDisplay, cursor
from retail.money import Money


def test_display_shows_the_last_item_and_the_total_on_two_lines():
    display = PoleDisplay("loop://")
    assert display.port.read(len(INIT + CLEAR)) == INIT + CLEAR

    display.show_item("Auriculares Xiaomi Buds 5", Money(4999, "EUR"), Money(5685, "EUR"),
                      "es_ES")

    sent = display.port.read(display.port.in_waiting)
    first = "Auriculares  49,99 €".encode("cp858")
    second = "TOTAL        56,85 €".encode("cp858")
    assert sent == CLEAR + cursor(1, 1) + first + cursor(1, 2) + second
    display.close()


def test_characters_the_display_lacks_become_question_marks():
    display = PoleDisplay("loop://")
    display.port.read(len(INIT + CLEAR))

    display.show_lines("Итого", "")

    assert b"?????" in display.port.read(display.port.in_waiting)
    display.close()
