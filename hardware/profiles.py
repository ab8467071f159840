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
    code_pages: dict[str, int]  # code page name -> ESC t number
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


def _from_escpos(name: str, escpos_name: str, **overrides: object) -> PrinterProfile:
    """A profile read from python-escpos's database, with our corrections applied."""
    data = CAPABILITIES["profiles"][escpos_name]
    width = data.get("media", {}).get("width", {}).get("pixels")
    features = data.get("features", {})
    code_pages = {v: int(k) for k, v in data.get("codePages", {}).items() if v != "Unknown"}
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
        # The cheap 58 mm clones: no native QR, no cutter.
        "POS-5890": _from_escpos("POS-5890", "POS-5890"),
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
