"""OCR benchmark: tesseract vs rapidocr on generated images (fonts x sizes, a receipt, rotated, noisy).

Metric: character accuracy = 1 - edit_distance(read, drawn) / len(drawn) on whitespace-normalised text
(floored at 0), and latency per image through the real ``ocr`` tool (``run_tool``). rapidocr's one-off model
load is measured separately and kept out of the per-image latency. Prints one table with rapidocr/tesseract
ratios.

    python bench/ocr.py            # from the repository root
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.tools.drawing

from PIL import Image, ImageFilter  # noqa: E402

from tests.tools.drawing import MONO, SANS, SERIF, Drawing, draw_receipt, draw_text_image  # noqa: E402
from toolagent.tools.base import ToolContext, run_tool  # noqa: E402
from toolagent.tools.config import ToolConfig  # noqa: E402
from toolagent.tools.ocr import make_tool  # noqa: E402

TEXT = ["Invoice 4471 due 2024-05-01", "Ship to: 17 Harbour Road, Leith", "Amount payable EUR 1,284.50"]


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_accuracy(read: str, truth: str) -> float:
    read, truth = " ".join(read.split()), " ".join(truth.split())
    return max(0.0, 1.0 - edit_distance(read, truth) / max(len(truth), 1))


def cases() -> list[tuple[str, Image.Image, str]]:
    out: list[tuple[str, Image.Image, str]] = []
    for font in (SANS, SERIF, MONO):
        for size in (12, 20, 36):
            drawing = draw_text_image(TEXT, size, font=font)
            out.append((f"{font} {size}px", drawing.image, drawing.text))
    receipt = draw_receipt([("Coffee", 3.5), ("Bagel", 2.25), ("Orange juice", 4.1), ("Muffin", 2.95)])
    out.append(("receipt (mono 28px)", receipt.image, receipt.text))
    rotated: Drawing = draw_text_image(TEXT, 28, rotate=90)
    out.append(("rotated 90 (sans 28px)", rotated.image, rotated.text))
    noisy = draw_text_image(TEXT, 28, font=SERIF, fg=(60, 40, 30), bg=(200, 190, 150))
    image = noisy.image.filter(ImageFilter.GaussianBlur(1.2))
    pixels, rng = image.load(), random.Random(0)
    for _ in range(image.width * image.height // 40):
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = (rng.randrange(256),) * 3
    out.append(("speckled photo (serif 28px)", image, noisy.text))
    return out


def main() -> None:
    tesseract = make_tool(ToolConfig(ocr_backend="tesseract"))
    rapid = make_tool(ToolConfig(ocr_backend="rapidocr"))
    for tool in (tesseract, rapid):
        status = tool.availability()
        if not status.available:
            sys.exit(f"{tool.backend} unavailable: {status.reason}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    ctx = ToolContext(workspace=workdir)

    warm = draw_text_image(["warm up"], 30).save(workdir / "warm.png")
    started = time.perf_counter()
    run_tool(rapid, {"image": str(warm)}, ctx)
    load_s = time.perf_counter() - started
    run_tool(tesseract, {"image": str(warm)}, ctx)

    rows = []
    for index, (name, image, truth) in enumerate(cases()):
        path = workdir / f"case{index}.png"
        image.save(path)
        row = [name]
        for tool in (tesseract, rapid):
            started = time.perf_counter()
            obs = run_tool(tool, {"image": str(path)}, ctx)
            elapsed = time.perf_counter() - started
            read = "\n".join(item["text"] for item in (obs.data or []))
            row += [char_accuracy(read, truth), elapsed]
        rows.append(row)

    header = (f"{'image':<28} {'tess acc':>8} {'rapid acc':>9} {'acc ratio':>9} "
              f"{'tess ms':>8} {'rapid ms':>8} {'time ratio':>10}")
    print(header)
    print("-" * len(header))
    for name, t_acc, t_s, r_acc, r_s in rows:
        print(f"{name:<28} {t_acc:>8.3f} {r_acc:>9.3f} {r_acc / max(t_acc, 1e-9):>9.2f} "
              f"{t_s * 1000:>8.0f} {r_s * 1000:>8.0f} {r_s / t_s:>10.2f}")
    t_acc = statistics.mean(r[1] for r in rows)
    r_acc = statistics.mean(r[3] for r in rows)
    t_ms = statistics.mean(r[2] for r in rows) * 1000
    r_ms = statistics.mean(r[4] for r in rows) * 1000
    print("-" * len(header))
    print(f"{'mean':<28} {t_acc:>8.3f} {r_acc:>9.3f} {r_acc / t_acc:>9.2f} "
          f"{t_ms:>8.0f} {r_ms:>8.0f} {r_ms / t_ms:>10.2f}")
    print(f"\nratios are rapidocr / tesseract; rapidocr model load (once, excluded above): {load_s:.2f} s; "
          f"{len(rows)} images, one run each")


if __name__ == "__main__":
    main()
