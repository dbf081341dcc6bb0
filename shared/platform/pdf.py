"""What every PDF the product prints shares (quotes, invoices, statements, the recall reports for regulators): one
CJK font, embedded; table cells that wrap inside their columns; times in the reader's zone with the offset; money
formats; "page n of N" footers.

Why embedded: a quote, an invoice or a recall report is a record that leaves the company and is kept. reportlab's
`UnicodeCIDFont` ('STSong-Light') only names an Adobe font and leaves the glyphs to the reader, so the same file
shows other shapes, or empty boxes, on a machine without it. A TrueType font registered as reportlab's `TTFont` is
written into the file as a subset of the glyphs used (/FontFile2), so the file shows the same everywhere.

Where the font comes from: WenQuanYi Micro Hei (文泉驿微米黑, Apache-2.0), shipped inside the pinned PyPI package
`paperang-p2-fonts-cjk`, so the project's normal `pip install` brings it to any machine, apt or not (its .ttc is
byte for byte Debian's fonts-wqy-microhei 0.2.0-beta-3.1, sha256 2420e807…1009b3). It is a .ttc with TrueType
(glyf) outlines: subfont 0 is the proportional face (1 is its monospaced twin). Noto Sans SC or Source Han Sans as
.otf would not do: reportlab embeds TrueType outlines only, not CFF. Failing the package, a CJK TrueType font of the
system's is used where one is present (Debian's fonts-wqy-microhei or -zenhei).
"""

import re
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from shared.domain.business_day import CHINA

CJK_FONT = "ErpCJK"  # the name documents give reportlab's styles once `cjk_font()` has registered it

SYSTEM_FONTS = (  # (path, subfont index in a .ttc)
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)


def _candidates() -> list[tuple[Path, int]]:
    found = []
    try:
        packaged = resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"
        found.append((Path(str(packaged)), 0))
    except ModuleNotFoundError:
        pass
    return found + [(Path(path), index) for path, index in SYSTEM_FONTS]


@cache
def cjk_font() -> str:
    """Registers the embeddable CJK font with reportlab (once) and returns its name for styles and canvases."""
    for path, index in _candidates():
        if path.is_file():
            try:
                font = TTFont(CJK_FONT, str(path), subfontIndex=index)
            except TTFError:  # not TrueType outlines after all (a CFF font under a .ttc name): the next one
                continue
            pdfmetrics.registerFont(font)
            return CJK_FONT
    raise RuntimeError("no embeddable CJK TrueType font: install the project's dependencies (paperang-p2-fonts-cjk)")


def escaped(text: str) -> str:
    """Text as a reportlab Paragraph shows it literally (its markup is XML-like): <, > and & escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell(text: str, style: ParagraphStyle) -> Paragraph:
    """Text in a table cell (or any block) that wraps inside its column instead of running into the next one or off
    the page: at spaces, so English words stay whole; a run without spaces (Chinese has none) moves to the next line
    like a word, and breaks between characters where it is wider than the column. Line breaks in the text are kept.

    Why not reportlab's wordWrap='CJK': it breaks wherever a line is full and looks back for a space only half a
    line, so in a narrow column "Medical College" prints as "Medical Colleg / e". reportlab's word wrap with
    `splitLongWords` (its default) cuts a word only when the word alone is wider than the column (a long code).
    """
    if style.wordWrap == "CJK" or not style.splitLongWords:
        raise ValueError(f"style {style.name!r} would break English words or overflow its column")
    return Paragraph(escaped(text).replace("\n", "<br/>"), style)


def local_time(at: datetime, zone: ZoneInfo = CHINA) -> str:
    """A stored (UTC) time as its reader reads it: in `zone` (China's unless the document names another), to the
    minute, with the offset, so that nobody has to guess the zone: '2026-11-30 17:05 +08:00'."""
    if at.utcoffset() is None:
        raise ValueError("a time to print must be timezone-aware (stored in UTC)")
    shown = at.astimezone(zone)
    offset = f"{shown:%z}"  # '+0800'
    return f"{shown:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:5]}"


def numbered_canvas(footer: Callable[[int, int], str], font_size: float = 8) -> type[Canvas]:
    """A canvas class for `doc.build(story, canvasmaker=...)` that writes `footer(page, pages)` centred at the
    bottom of every page: the pages are held until the last one is known, then written."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # Else the canvas starts in Helvetica, a font that is not embedded, and names it on every page.
            kwargs["initialFontName"] = kwargs.get("initialFontName") or cjk_font()
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(cjk_font(), font_size)
                self.drawCentredString(self._pagesize[0] / 2, 8 * mm, footer(number, len(self._pages)))
                super().showPage()
            super().save()

    return NumberedCanvas


# --- what every printed document shows alike ---------------------------------------------------------------------

Language = Literal["zh", "en"]
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")  # a text drawn in the CJK font
CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.0001")


def money(amount: Decimal) -> str:
    """1234567.5 -> '1,234,567.50', rounded half up to cents; a negated zero shows as 0.00, not -0.00."""
    return f"{amount.quantize(CENT, ROUND_HALF_UP) + 0:,.2f}"


def unit_price(price: Decimal) -> str:
    """Up to 4 places, trailing zeros trimmed down to 2: 12.5 -> '12.50', 12.3450 -> '12.345'."""
    text = f"{price.quantize(PRICE_PLACES, ROUND_HALF_UP):,.4f}"
    return text[:-2] + text[-2:].rstrip("0")


def percent(rate: Decimal) -> str:
    """Decimal('0.13') -> '13%', Decimal('0.065') -> '6.5%'."""
    text = f"{rate * 100:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"
