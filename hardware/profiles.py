"""Printer capability profiles: what a given receipt printer can do.

Built on python-escpos's printer database (paper width, columns, code pages), plus what that
database does not say or gets wrong for our purposes: whether the printer has a Chinese font
(GB18030 double-byte mode), whether its native QR and cutter are to be trusted, and whether it
answers process-ID requests (our print acknowledgement).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache, lru_cache

from escpos.capabilities import CAPABILITIES
from escpos.magicencode import Encoder

# Code pages we prefer when several could print a receipt: the common Western ones first.
PREFERRED_CODE_PAGES = (
    "CP437", "CP858", "CP1252", "CP850", "CP866", "CP1251", "CP852", "CP1250", "ISO_8859-15",
    "CP860", "CP863", "CP865", "CP857", "CP737", "CP1253", "CP1254", "CP1257",
)


class UnknownProfile(LookupError):
    """A printer profile name we do not know."""


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    escpos_profile: str  # the python-escpos capability profile used to build the bytes
    width_dots: int
    columns: int  # characters per line in font A
    code_pages: dict[str, int]  # code page name -> ESC t number (ours win over python-escpos's)
    native_qr: bool
    cutter: bool
    double_byte: str | None = None  # "GB18030": a built-in Chinese font, entered with FS &
    process_id_response: bool = False  # answers GS ( H fn 48, so a job can be acknowledged
    qr_module: int = 6  # dots per QR module (0.75 mm at 203 dpi scans well from a phone)

    @property
    def cell_width(self) -> int:
        return self.width_dots // self.columns

    def code_page_number(self, name: str) -> int:
        return self.code_pages[name]

    def code_page_name(self, number: int) -> str | None:
        for name, value in self.code_pages.items():
            if value == number:
                return name
        return None

    @property
    def usable_code_pages(self) -> list[str]:
        """The printer's code pages that we can encode to, in order of preference."""
        encoder = self.encoder()
        known = [n for n in self.code_pages if _has_char_map(encoder, n)]
        preferred = [n for n in PREFERRED_CODE_PAGES if n in known]
        return preferred + [n for n in known if n not in preferred]

    def encoder(self) -> Encoder:
        return _encoder_for(tuple(sorted(self.code_pages.items())))


def _has_char_map(encoder: Encoder, name: str) -> bool:
    try:
        encoder._get_codepage_char_map(name)
    except (LookupError, AssertionError):
        return False
    return True


# python-escpos's generic profile numbers code pages as Epson does (ESC t n).
EPSON_NUMBERING = "default"


def _code_pages(data: dict[str, object], epson_numbers_only: bool) -> dict[str, int]:
    """Code page name -> the ``ESC t`` number to select it.

    Some profiles list a code page under several numbers: the POS-5890's table is Epson's
    numbers 0-19 followed by its vendor's own from 50 up (CP437 is 0 and 50, CP858 19 and 53,
    CP866 17 and 59). Sent as the vendor's number, "£" and Cyrillic come out wrong on the many
    clones that number code pages as Epson does; sent as a number both tables agree on, they
    print right on either. So a number meaning the same page in Epson's table wins, and with
    ``epson_numbers_only`` the pages only the vendor's numbers reach are left out.
    """
    epson = {int(k): v for k, v in CAPABILITIES["profiles"][EPSON_NUMBERING]["codePages"].items()}
    listed = data.get("codePages", {})
    assert isinstance(listed, dict)
    pages: dict[str, int] = {}
    for number, page in sorted((int(k), v) for k, v in listed.items()):
        if page == "Unknown":
            continue
        agrees = epson.get(number) == page
        if epson_numbers_only and not agrees:
            continue
        if page not in pages or (agrees and epson.get(pages[page]) != page):
            pages[page] = number
    return pages


def _from_escpos(name: str, escpos_name: str, epson_numbers_only: bool = False,
                 **overrides: object) -> PrinterProfile:
    """A profile read from python-escpos's database, with our corrections applied."""
    data = CAPABILITIES["profiles"][escpos_name]
    width = data.get("media", {}).get("width", {}).get("pixels")
    features = data.get("features", {})
    code_pages = _code_pages(data, epson_numbers_only)
    base = PrinterProfile(
        name=name,
        escpos_profile=escpos_name,
        width_dots=width if isinstance(width, int) else 512,
        columns=int(data.get("fonts", {}).get("0", {}).get("columns", 42)),
        code_pages=code_pages,
        native_qr=bool(features.get("qrCode")),
        cutter=bool(features.get("paperFullCut") or features.get("paperPartCut")),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def _builtin_profiles() -> dict[str, PrinterProfile]:
    return {
        # Epson 80 mm printers: code pages for Western Europe and Cyrillic, no Chinese font.
        "TM-T20II": _from_escpos("TM-T20II", "TM-T20II", process_id_response=True),
        "TM-T88V": _from_escpos("TM-T88V", "TM-T88V", process_id_response=True),
        # The cheap 58 mm clones: no native QR, no cutter, and code pages selected by the
        # numbers Epson's table shares with theirs (see _code_pages).
        "POS-5890": _from_escpos("POS-5890", "POS-5890", epson_numbers_only=True),
        # Xprinter-style 80 mm printers sold in China: GB18030 font built in (FS &).
        "XP-80C": _from_escpos("XP-80C", "TM-T20II", double_byte="GB18030"),
    }


@lru_cache(maxsize=1)
def builtin_profiles() -> dict[str, PrinterProfile]:
    return _builtin_profiles()


def get_profile(name: str = "TM-T20II") -> PrinterProfile:
    """A profile by our name, or by any python-escpos profile name."""
    profiles = builtin_profiles()
    if name in profiles:
        return profiles[name]
    if name in CAPABILITIES["profiles"]:
        return _from_escpos(name, name)
    known = ", ".join(sorted(profiles))
    raise UnknownProfile(f"unknown printer profile {name!r}; ours are {known}, "
                         "or any python-escpos profile name")


@cache
def _encoder_for(code_pages: tuple[tuple[str, int], ...]) -> Encoder:
    # Encoders cache their character maps, so one per set of code pages is worth keeping.
    return Encoder(dict(code_pages))
