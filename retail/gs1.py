"""GTINs and GS1 Digital Link URIs: the identifiers printed on every product and shelf label.

Pure functions shared by the server (validating what managers enter) and the tills and
hardware (building the QR payload of a SKU). Parsing of scanned strings lives in the scanner
classifier, which uses the ``biip`` library.
"""

from __future__ import annotations

GTIN_LENGTHS = (8, 12, 13, 14)


class InvalidGTIN(ValueError):
    """A string that is not a valid GTIN-8/12/13/14."""


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits of ``body`` (without its check digit)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        total += digit * 3 if position % 2 == 0 else digit
    return (10 - total % 10) % 10


def with_check_digit(body: str) -> str:
    """``body`` followed by its GS1 check digit."""
    return body + str(gs1_check_digit(body))


def validate_gtin(text: str) -> str:
    """Return ``text`` as a GTIN-14 if it is a valid GTIN of any length, else raise."""
    code = (text or "").strip()
    if not code.isdigit() or len(code) not in GTIN_LENGTHS:
        raise InvalidGTIN(
            f"{text!r} is not a GTIN: it must be 8, 12, 13 or 14 digits"
        )
    expected = gs1_check_digit(code[:-1])
    if int(code[-1]) != expected:
        raise InvalidGTIN(
            f"{code} has check digit {code[-1]}, but the digits before it need {expected}"
        )
    return code.zfill(14)


def is_valid_gtin(text: str) -> bool:
    try:
        validate_gtin(text)
    except InvalidGTIN:
        return False
    return True


def gtin14(text: str) -> str:
    """The canonical 14-digit form used as the lookup key."""
    return validate_gtin(text)


def digital_link(base_url: str, gtin: str) -> str:
    """The GS1 Digital Link URI of a GTIN on our public host, e.g.

    ``https://plaza.example/01/08412345678905``. A till resolves it to the SKU; a phone opens
    it as the public product page.
    """
    return f"{base_url.rstrip('/')}/01/{gtin14(gtin)}"
