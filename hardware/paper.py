"""A strip of thermal paper drawn with Pillow.

Text sits on the same character grid a printer uses (12×24 dot cells for font A, CJK characters
two cells wide), so the receipt preview, the raster image sent to printers without the script,
and the virtual printer's picture of what it received all look like the printed paper.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from hardware.fonts import FontSet, font_set
from retail.receipt import Align, Size, char_width, text_width

CELL_HEIGHT = 24  # font A is 12×24 dots on Epson-compatible printers
LINE_HEIGHT = 30  # the default line spacing (ESC 2) at 180/203 dpi
WHITE, BLACK = 255, 0


class Paper:
    """Rows of print, top to bottom, each a greyscale image as wide as the paper."""

    def __init__(self, width_dots: int, columns: int) -> None:
        self.width = width_dots
        self.columns = columns
        self.cell_width = width_dots // columns
        self.fonts: FontSet = font_set(self.cell_width, CELL_HEIGHT)
        self.rows: list[Image.Image] = []

    # -- text ----------------------------------------------------------------------------------

    def text_line(self, text: str, align: Align = "left", bold: bool = False,
                  size: Size = "normal") -> None:
        """One printed line; ``large`` text uses half the columns at twice the size."""
        columns = self.columns // 2 if size == "large" else self.columns
        line = self._draw_cells(text, columns, bold)
        if size in ("tall", "large"):
            scale_x = 2 if size == "large" else 1
            line = line.resize((line.width * scale_x, line.height * 2), Image.Resampling.NEAREST)
        self._place(line, align)

    def _draw_cells(self, text: str, columns: int, bold: bool) -> Image.Image:
        width = max(text_width(text), 1) * self.cell_width
        image = Image.new("L", (min(width, columns * self.cell_width), LINE_HEIGHT), WHITE)
        draw = ImageDraw.Draw(image)
        column = 0
        for char in text:
            cells = char_width(char)
            if column + cells > columns:
                break
            self._draw_char(draw, char, column * self.cell_width, cells, bold)
            column += cells
        return image

    def _draw_char(self, draw: ImageDraw.ImageDraw, char: str, x: int, cells: int,
                   bold: bool) -> None:
        if char == " " or cells == 0:
            return
        if cells == 2 and self.fonts.cjk is not None:
            font, fake_bold = self.fonts.cjk, bold
        elif bold and self.fonts.bold is not None:
            font, fake_bold = self.fonts.bold, False
        else:
            font, fake_bold = self.fonts.regular, bold
        y = (LINE_HEIGHT - CELL_HEIGHT) // 2
        draw.text((x, y), char, font=font, fill=BLACK)
        if fake_bold:  # no bold face at hand: draw twice, a dot apart, like a printer does
            draw.text((x + 1, y), char, font=font, fill=BLACK)

    # -- pictures ------------------------------------------------------------------------------

    def image(self, picture: Image.Image, align: Align = "left") -> None:
        """A picture (raster image, QR, barcode); wider than the paper means cut off."""
        picture = picture.convert("L")
        if picture.width > self.width:
            picture = picture.crop((0, 0, self.width, picture.height))
        self._place(picture, align)

    def feed(self, dots: int) -> None:
        if dots > 0:
            self.rows.append(Image.new("L", (self.width, dots), WHITE))

    def cut(self) -> None:
        """Draw where the cutter cut: a dashed line across."""
        row = Image.new("L", (self.width, 12), WHITE)
        draw = ImageDraw.Draw(row)
        for x in range(0, self.width, 12):
            draw.line((x, 6, x + 6, 6), fill=128, width=2)
        self.rows.append(row)

    def _place(self, picture: Image.Image, align: Align) -> None:
        row = Image.new("L", (self.width, picture.height), WHITE)
        offset = {"left": 0, "center": (self.width - picture.width) // 2,
                  "right": self.width - picture.width}[align]
        row.paste(picture, (max(offset, 0), 0))
        self.rows.append(row)

    # -- result --------------------------------------------------------------------------------

    @property
    def height(self) -> int:
        return sum(row.height for row in self.rows)

    def to_image(self, margin: int = 0) -> Image.Image:
        """The whole strip as one greyscale image (with a white margin for previews)."""
        result = Image.new("L", (self.width + 2 * margin, self.height + 2 * margin), WHITE)
        y = margin
        for row in self.rows:
            result.paste(row, (margin, y))
            y += row.height
        return result
