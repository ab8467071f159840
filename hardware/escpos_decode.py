"""Decoding an ESC/POS byte stream back into what it prints: the virtual printer's engine.

Covers the subset Plaza and python-escpos emit: text in code pages or GB18030 with styles and
alignment, raster images (``GS v 0``, ``GS ( L``), native QR (``GS ( k``), barcodes (``GS k``),
cut, drawer kick, process ids (our job ids). Other commands with known lengths are skipped and
listed, so a test sees when we start sending something the decoder does not understand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageOps

from hardware.jobs import job_id_from_process_ids
from hardware.linear_barcodes import ESCPOS_SYMBOLOGIES, BarcodeDrawError, barcode_image
from hardware.paper import Paper
from hardware.profiles import PrinterProfile
from hardware.qr import qr_image
from retail.receipt import Align, Size, char_width

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
ALIGNS: dict[int, Align] = {0: "left", 48: "left", 1: "center", 49: "center", 2: "right",
                            50: "right"}
# ESC commands whose parameters are a fixed number of bytes (command byte -> byte count).
ESC_FIXED = {ord("!"): 1, ord("-"): 1, ord("2"): 0, ord("3"): 1, ord("E"): 1, ord("G"): 1,
             ord("M"): 1, ord("R"): 1, ord("V"): 1, ord("a"): 1, ord("c"): 2, ord("d"): 1,
             ord("e"): 1, ord("J"): 1, ord("t"): 1, ord("p"): 3, ord("r"): 1, ord("{"): 1,
             ord(" "): 1, ord("U"): 1, ord("i"): 0, ord("m"): 0, ord("@"): 0, ord("B"): 2,
             ord("$"): 2, ord("\\"): 2, ord("L"): 0, ord("S"): 0, ord("T"): 1, ord("="): 1}
GS_FIXED = {ord("!"): 1, ord("B"): 1, ord("b"): 1, ord("|"): 1, ord("H"): 1, ord("f"): 1,
            ord("h"): 1, ord("w"): 1, ord("L"): 2, ord("W"): 2, ord("P"): 2, ord("a"): 1,
            ord("r"): 1, ord("I"): 1, ord("x"): 1, ord("/"): 1}
FS_FIXED = {ord("&"): 0, ord("."): 0, ord("!"): 1, ord("-"): 1, ord("C"): 1, ord("S"): 2,
            ord("W"): 1, ord("p"): 2}


@dataclass
class DecodedLine:
    text: str
    align: Align
    bold: bool
    size: Size


@dataclass
class DecodedJob:
    lines: list[DecodedLine] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    barcodes: list[tuple[str, str]] = field(default_factory=list)
    raster_images: int = 0
    cuts: int = 0
    drawer_kicks: list[str] = field(default_factory=list)  # hex of each ESC p command
    process_ids: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # hex of commands we skipped
    paper: Paper | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text.rstrip() for line in self.lines)

    @property
    def job_id(self) -> str | None:
        return job_id_from_process_ids(self.process_ids)


@dataclass
class _State:
    align: Align = "left"
    bold: bool = False
    width: int = 1
    height: int = 1
    code_page: int = 0
    double_byte: bool = False
    qr_module: int = 3
    qr_data: bytes = b""
    barcode_height: int = 162
    barcode_module: int = 3
    graphics: Image.Image | None = None

    @property
    def size(self) -> Size:
        if self.width >= 2:
            return "large"
        return "tall" if self.height >= 2 else "normal"


class _Truncated(Exception):
    """The stream ended inside a command."""


class Decoder:
    """One job's bytes in, a ``DecodedJob`` (and its picture on ``paper``) out."""

    def __init__(self, profile: PrinterProfile, render: bool = True) -> None:
        self.profile = profile
        self.job = DecodedJob(paper=Paper(profile.width_dots, profile.columns) if render
                              else None)
        self.state = _State()
        self.buffer: list[str] = []
        self.line_style: tuple[Align, bool, Size] | None = None
        self._byte_to_char: dict[int, dict[int, str]] = {}

    # -- driver --------------------------------------------------------------------------------

    def decode(self, data: bytes) -> DecodedJob:
        self.data, self.pos = data, 0
        while self.pos < len(data):
            start = self.pos
            try:
                self._step()
            except _Truncated:
                self.job.unknown.append(data[start:].hex(" ")[:48])
                break
        self._flush_line(force=False)
        return self.job

    def _take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise _Truncated
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def _byte(self) -> int:
        return self._take(1)[0]

    def _step(self) -> None:
        byte = self._byte()
        if byte == ESC:
            self._esc(self._byte())
        elif byte == GS:
            self._gs(self._byte())
        elif byte == FS:
            self._fs(self._byte())
        elif byte == DLE:
            self._dle(self._byte())
        elif byte == 0x0A:
            self._flush_line(force=True)
        elif byte == 0x09:
            self._add_char(" ")
        elif byte >= 0x20:
            self._text_byte(byte)
        # other control bytes (CR, NUL, FF...) print nothing

    # -- text ----------------------------------------------------------------------------------

    def _text_byte(self, byte: int) -> None:
        if byte < 0x80:
            self._add_char(chr(byte))
        elif self.state.double_byte:
            self._add_char(self._gb18030_char(byte))
        else:
            self._add_char(self._code_page_char(byte))

    def _gb18030_char(self, first: int) -> str:
        second = self._byte()
        raw = bytes((first, second))
        if 0x30 <= second <= 0x39:  # a four-byte GB18030 sequence
            raw += self._take(2)
        return raw.decode("gb18030", errors="replace")

    def _code_page_char(self, byte: int) -> str:
        table = self._byte_to_char.get(self.state.code_page)
        if table is None:
            table = {}
            name = self.profile.code_page_name(self.state.code_page)
            if name is not None:
                try:
                    char_map = self.profile.encoder()._get_codepage_char_map(name)
                    table = {code: char for char, code in char_map.items()}
                except (LookupError, AssertionError):
                    table = {}
            self._byte_to_char[self.state.code_page] = table
        return table.get(byte, "\ufffd")

    def _add_char(self, char: str) -> None:
        if self.line_style is None:
            self.line_style = (self.state.align, self.state.bold, self.state.size)
        columns = self.profile.columns // self.state.width
        used = sum(char_width(c) for c in self.buffer)
        if used + char_width(char) > columns:  # a full line prints by itself, like on paper
            self._flush_line(force=True)
            self.line_style = (self.state.align, self.state.bold, self.state.size)
        self.buffer.append(char)

    def _flush_line(self, force: bool) -> None:
        if not self.buffer and not force:
            return
        align, bold, size = self.line_style or (self.state.align, self.state.bold,
                                                self.state.size)
        text = "".join(self.buffer)
        self.job.lines.append(DecodedLine(text, align, bold, size))
        if self.job.paper is not None:
            self.job.paper.text_line(text, align=align, bold=bold, size=size)
        self.buffer, self.line_style = [], None

    def _flush_pending(self) -> None:
        """Images and symbols start on a new line, printing any text before them first."""
        if self.buffer:
            self._flush_line(force=True)

    # -- ESC -----------------------------------------------------------------------------------

    def _esc(self, command: int) -> None:
        if command == ord("*"):
            self._column_image()
            return
        if command not in ESC_FIXED:
            self.job.unknown.append(bytes((ESC, command)).hex(" "))
            return
        args = self._take(ESC_FIXED[command])
        self._apply_esc(command, args)

    def _apply_esc(self, command: int, args: bytes) -> None:
        state = self.state
        if command == ord("@"):
            self._flush_pending()
            self.state = _State()
        elif command == ord("!"):
            state.bold = bool(args[0] & 0x08)
            state.height = 2 if args[0] & 0x10 else 1
            state.width = 2 if args[0] & 0x20 else 1
        elif command in (ord("E"), ord("G")):
            state.bold = bool(args[0] & 1)
        elif command == ord("a"):
            state.align = ALIGNS.get(args[0], "left")
        elif command == ord("t"):
            state.code_page = args[0]
        elif command == ord("d"):
            self._flush_pending()
            self._feed(args[0] * 30)
        elif command == ord("J"):
            self._flush_pending()
            self._feed(args[0])
        elif command == ord("p"):
            self.job.drawer_kicks.append(bytes((ESC, command)).hex(" ") + " " + args.hex(" "))
        elif command in (ord("i"), ord("m")):
            self._cut()

    def _column_image(self) -> None:
        mode, low, high = self._take(3)
        columns = low + high * 256
        self._take(columns * (3 if mode in (32, 33) else 1))
        self.job.unknown.append(f"1b 2a {mode:02x} (column image, not drawn)")

    def _feed(self, dots: int) -> None:
        if self.job.paper is not None:
            self.job.paper.feed(dots)

    def _cut(self) -> None:
        self._flush_pending()
        self.job.cuts += 1
        if self.job.paper is not None:
            self.job.paper.cut()

    # -- GS ------------------------------------------------------------------------------------

    def _gs(self, command: int) -> None:
        if command == ord("V"):
            mode = self._byte()
            if mode in (65, 66, 97, 98, 103, 104):
                self._take(1)
            self._cut()
        elif command == ord("v"):
            self._raster_image()
        elif command == ord("("):
            self._gs_paren()
        elif command == ord("k"):
            self._barcode()
        elif command in GS_FIXED:
            self._apply_gs(command, self._take(GS_FIXED[command]))
        else:
            self.job.unknown.append(bytes((GS, command)).hex(" "))

    def _apply_gs(self, command: int, args: bytes) -> None:
        if command == ord("!"):
            self.state.width = (args[0] >> 4) + 1
            self.state.height = (args[0] & 0x0F) + 1
        elif command == ord("h"):
            self.state.barcode_height = args[0] or 162
        elif command == ord("w"):
            self.state.barcode_module = args[0] or 3

    def _raster_image(self) -> None:
        self._take(1)  # "0"
        mode, x_low, x_high, y_low, y_high = self._take(5)
        width_bytes, height = x_low + x_high * 256, y_low + y_high * 256
        bits = self._take(width_bytes * height)
        image = _bits_image(bits, width_bytes * 8, height)
        scale_x = 2 if mode in (1, 3, 49, 51) else 1
        scale_y = 2 if mode in (2, 3, 50, 51) else 1
        if (scale_x, scale_y) != (1, 1):
            image = image.resize((image.width * scale_x, image.height * scale_y))
        self._print_image(image)

    def _print_image(self, image: Image.Image) -> None:
        self._flush_pending()
        self.job.raster_images += 1
        if self.job.paper is not None:
            self.job.paper.image(image, align=self.state.align)

    def _gs_paren(self) -> None:
        kind = self._byte()
        low, high = self._take(2)
        body = self._take(low + high * 256)
        if kind == ord("k"):
            self._two_d_code(body)
        elif kind == ord("H") and len(body) == 6 and body[0] == 48:
            self.job.process_ids.append(body[2:6].decode("ascii", errors="replace"))
        elif kind == ord("L"):
            self._graphics(body)
        else:
            self.job.unknown.append(f"1d 28 {kind:02x} ({len(body)} bytes)")

    def _two_d_code(self, body: bytes) -> None:
        if len(body) < 2 or body[0] != 49:  # cn 49 is QR; PDF417 and others are not drawn
            self.job.unknown.append(f"1d 28 6b cn={body[:1].hex()}")
            return
        function = body[1]
        if function == 67 and len(body) >= 3:
            self.state.qr_module = max(1, body[2])
        elif function == 80:
            self.state.qr_data = body[3:]
        elif function == 81:
            self._print_qr()

    def _print_qr(self) -> None:
        data = self.state.qr_data.decode("utf-8", errors="replace")
        self._flush_pending()
        self.job.qr_codes.append(data)
        if self.job.paper is not None and data:
            self.job.paper.image(qr_image(data, module=self.state.qr_module),
                                 align=self.state.align)

    def _graphics(self, body: bytes) -> None:
        function = body[1] if len(body) > 1 else None
        if function == 112 and len(body) >= 10:  # store raster graphics
            width = body[6] + body[7] * 256
            height = body[8] + body[9] * 256
            self.state.graphics = _bits_image(body[10:], width, height)
        elif function == 50 and self.state.graphics is not None:  # print stored graphics
            self._print_image(self.state.graphics)
            self.state.graphics = None

    def _barcode(self) -> None:
        symbology = self._byte()
        if symbology <= 6:
            end = self.data.find(b"\x00", self.pos)
            if end < 0:
                raise _Truncated
            raw = self._take(end - self.pos)
            self._take(1)
        else:
            raw = self._take(self._byte())
        self._print_barcode(symbology, raw.decode("ascii", errors="replace"))

    def _print_barcode(self, symbology: int, raw: str) -> None:
        name = ESCPOS_SYMBOLOGIES.get(symbology, f"GS k {symbology}")
        # CODE128 data starts with a code set selector such as "{B".
        data = raw[2:] if name == "Code128" and raw.startswith("{") else raw
        self._flush_pending()
        self.job.barcodes.append((name, data))
        if self.job.paper is None:
            return
        try:
            bars = barcode_image(name, data, self.state.barcode_module,
                                 self.state.barcode_height)
        except BarcodeDrawError:
            self.job.paper.text_line(f"[{name} {data}]", align=self.state.align)
            return
        self.job.paper.image(bars, align=self.state.align)
        self.job.paper.text_line(data, align=self.state.align)

    # -- FS, DLE -------------------------------------------------------------------------------

    def _fs(self, command: int) -> None:
        if command not in FS_FIXED:
            self.job.unknown.append(bytes((FS, command)).hex(" "))
            return
        self._take(FS_FIXED[command])
        if command == ord("&"):
            self.state.double_byte = True
        elif command == ord("."):
            self.state.double_byte = False

    def _dle(self, command: int) -> None:
        # Real-time requests: DLE EOT n (status), DLE ENQ n, DLE DC4 fn m t (pulse).
        if command == 0x14:
            fn, m, t = self._take(3)
            if fn == 1:
                self.job.drawer_kicks.append(f"10 14 01 {m:02x} {t:02x}")
        elif command in (0x04, 0x05):
            self._take(1)


def _bits_image(bits: bytes, width: int, height: int) -> Image.Image:
    """ESC/POS raster bits (1 = black dot) as a greyscale image."""
    needed = (width + 7) // 8 * height
    bits = bits[:needed].ljust(needed, b"\x00")
    return ImageOps.invert(Image.frombytes("1", (width, height), bits).convert("L"))


def decode(data: bytes, profile: PrinterProfile, render: bool = True) -> DecodedJob:
    """Decode one job; with ``render`` the picture of it is on ``job.paper``."""
    return Decoder(profile, render).decode(data)
