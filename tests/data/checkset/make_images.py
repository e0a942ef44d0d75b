"""Draws the check set's images once (they are committed; run again only to change them):

    .venv/bin/python tests/data/checkset/make_images.py

Hand-made layouts in fonts and colours the synthetic generator does not use (serif and mono text, greyscale and
coloured cards, lines with totals and taxes), small greyscale/palette PNGs.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from toolagent.train.synth_draw import font_path

HERE = Path(__file__).parent / "images"


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(name)), size)


def draw(name: str, size: tuple[int, int], background: str,
         lines: list[tuple[tuple[int, int], str, str, int, str]]) -> None:
    """``lines``: ((x, y), text, font file, size, colour); a negative x right-aligns the text at -x."""
    image = Image.new("RGB", size, background)
    pen = ImageDraw.Draw(image)
    for (x, y), text, face, points, colour in lines:
        pen.text((abs(x), y), text, font=font(face, points), fill=colour, anchor="ra" if x < 0 else "la")
    image.convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(HERE / name, optimize=True)


MONO, MONO_B, SERIF, SERIF_B = "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"


def main() -> None:
    HERE.mkdir(exist_ok=True)
    slip = [("Sourdough loaf", "5.80"), ("Rye rolls x4", "6.20"), ("Cinnamon bun", "3.90"), ("Oat milk", "5.60"),
            ("SUBTOTAL", "21.50"), ("TAX 8%", "1.72"), ("TOTAL", "23.22")]
    draw("till_slip.png", (700, 620), "white", [
        ((30, 20), "Baker & Sons", SERIF_B, 40, "black"),
        *[line for row, (label, price) in enumerate(slip)
          for line in (((30, 90 + 60 * row), label, SERIF, 36, "black"), ((-660, 90 + 60 * row), price, SERIF, 36,
                                                                          "black"))],
        ((30, 540), "Have a lovely day", SERIF, 28, "black"),
    ])
    draw("concert_ticket.png", (760, 380), "#f3e9d2", [
        ((40, 30), "The Night Owls - Live", SERIF_B, 44, "#222222"),
        ((40, 110), "Saturday 14 June, doors 19:00", SERIF, 32, "#222222"),
        ((40, 180), "Entrance: Gate D4", SERIF_B, 40, "#222222"),
        ((40, 250), "Row 12   Seat 31", SERIF, 36, "#222222"),
    ])
    draw("cafe_menu.png", (640, 420), "#1f3b2d", [
        ((40, 30), "TODAY'S MENU", SERIF_B, 44, "white"),
        ((40, 120), "Coffee .......... 3.20", MONO, 34, "white"),
        ((40, 180), "Tea ............. 2.60", MONO, 34, "white"),
        ((40, 240), "Croissant ....... 2.90", MONO, 34, "white"),
        ((40, 300), "Muffin .......... 3.40", MONO, 34, "white"),
    ])
    draw("parking_sign.png", (640, 380), "white", [
        ((40, 30), "PAY & DISPLAY", SERIF_B, 48, "#003399"),
        ((40, 120), "$2.50 per hour", SERIF_B, 52, "black"),
        ((40, 220), "Maximum stay 4 hours", SERIF, 34, "black"),
        ((40, 280), "Mon-Sat 8am-6pm", SERIF, 34, "black"),
    ])
    draw("bus_bays.png", (820, 330), "#fff8dc", [
        ((30, 25), "DEPARTURES", SERIF_B, 42, "black"),
        ((30, 100), "Airport          08:15  Bay 3", MONO, 34, "black"),
        ((30, 160), "Central Station  08:20  Bay 14", MONO, 34, "black"),
        ((30, 220), "Harbour          08:45  Bay 6", MONO, 34, "black"),
    ])
    draw("multibuy_label.png", (560, 300), "#ff6f61", [
        ((40, 30), "Sparkling Water", SERIF_B, 40, "white"),
        ((40, 110), "3 for $5.00", SERIF_B, 64, "white"),
        ((40, 220), "Single bottle $1.95", SERIF, 30, "white"),
    ])
    draw("meter_card.png", (700, 330), "#eeeeee", [
        ((30, 25), "Electricity meter", SERIF_B, 40, "black"),
        ((30, 110), "Previous reading: 04512 kWh", MONO, 32, "black"),
        ((30, 170), "Current reading:  04873 kWh", MONO, 32, "black"),
        ((30, 240), "Read on 02/11", MONO, 28, "black"),
    ])


if __name__ == "__main__":
    main()
