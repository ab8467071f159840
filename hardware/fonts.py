"""Finding the fonts that raster receipts are drawn with.

Receipts in a script the printer lacks are printed as an image of the text, so the till needs a
font with those glyphs. We look in the usual system places and ask fontconfig; a missing CJK
font is a clear error, never a receipt full of empty boxes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from PIL import ImageFont

# Debian/Ubuntu paths first, then common Fedora/Arch/macOS ones.
MONO_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf",
    "/System/Library/Fonts/Menlo.ttc",
)
MONO_BOLD_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf",
)
CJK_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
)
CJK_INSTALL_HINT = "install a CJK font (Debian: apt-get install fonts-wqy-zenhei) or set PLAZA_CJK_FONT"


class FontNotFound(RuntimeError):
    """No font on this machine can draw the text we were asked to draw."""


def _first_existing(paths: tuple[str, ...]) -> Path | None:
    for path in paths:
        if Path(path).is_file():
            return Path(path)
    return None


def _fontconfig_file(pattern: str) -> Path | None:
    """Ask fontconfig for a font file covering ``pattern`` (fc-list only lists real matches,
    unlike fc-match, which always answers with something)."""
    if shutil.which("fc-list") is None:
        return None
    try:
        result = subprocess.run(["fc-list", pattern, "file"], capture_output=True, text=True,
                                timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.strip().rstrip(":") for line in result.stdout.splitlines() if line.strip())
    return Path(files[0]) if files else None


@cache
def find_mono_font(bold: bool = False) -> Path | None:
    """A monospace font for Latin, Greek and Cyrillic text; None means Pillow's built-in one."""
    override = os.environ.get("PLAZA_MONO_FONT")
    if override and Path(override).is_file():
        return Path(override)
    found = _first_existing(MONO_BOLD_CANDIDATES if bold else MONO_CANDIDATES)
    return found or _fontconfig_file(":spacing=mono:lang=ru")


@cache
def find_cjk_font() -> Path | None:
    """A font with Chinese glyphs, or None when the machine has none."""
    override = os.environ.get("PLAZA_CJK_FONT")
    if override and Path(override).is_file():
        return Path(override)
    return _first_existing(CJK_CANDIDATES) or _fontconfig_file(":lang=zh-cn")


def require_cjk_font() -> Path:
    found = find_cjk_font()
    if found is None:
        raise FontNotFound(f"no font with Chinese glyphs on this machine: {CJK_INSTALL_HINT}")
    return found


@dataclass(frozen=True)
class FontSet:
    """The fonts one paper width draws with: half-width cells and CJK double cells."""

    regular: ImageFont.FreeTypeFont | ImageFont.ImageFont
    bold: ImageFont.FreeTypeFont | ImageFont.ImageFont | None
    cjk: ImageFont.FreeTypeFont | None


def _truetype(path: Path | None, size: int) -> ImageFont.FreeTypeFont | None:
    return ImageFont.truetype(str(path), size) if path is not None else None


@lru_cache(maxsize=16)
def font_set(cell_width: int, cell_height: int) -> FontSet:
    """Fonts sized so that a Latin character fills one cell and a CJK one two cells."""
    # DejaVu Sans Mono advances 0.602 em per character.
    size = max(8, round(cell_width / 0.602))
    regular = _truetype(find_mono_font(), size) or ImageFont.load_default(size)
    bold = _truetype(find_mono_font(bold=True), size)
    cjk = _truetype(find_cjk_font(), min(cell_height - 2, 2 * cell_width - 1))
    return FontSet(regular=regular, bold=bold, cjk=cjk)
