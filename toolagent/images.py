"""Images travel as file references. This module validates them and resolves tool arguments to paths."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from toolagent.errors import BadInput
from toolagent.records import ImageRef

_INDEX_REF = re.compile(r"^(?:image[_ ]?|img[_ ]?|<image_?)?(\d+)>?$", re.IGNORECASE)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_image_ref(path: str | Path) -> ImageRef:
    """Check that ``path`` is a readable, complete image; raise BadInput with one clear line otherwise."""
    from PIL import Image, UnidentifiedImageError

    file = Path(path).expanduser()
    if not file.exists():
        raise BadInput(f"image not found: {file}")
    if file.is_dir():
        raise BadInput(f"image path is a directory, not a file: {file}")
    if not file.is_file():  # a FIFO or device: opening it would block or never end
        raise BadInput(f"image is not a regular file: {file}")
    try:
        with Image.open(file) as img:
            img.verify()
        with Image.open(file) as img:
            img.load()
            width, height = img.size
    except Image.DecompressionBombError as exc:
        raise BadInput(f"image too large: {file} ({too_large(exc)})") from None
    except UnidentifiedImageError:
        raise BadInput(f"not an image file (unrecognised format): {file}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInput(f"corrupt or truncated image {file}: {exc}") from None
    resolved = file.resolve()
    return ImageRef(path=str(resolved), name=resolved.name, width=width, height=height,
                    sha256=file_sha256(resolved))


def resolve_image_ref(ref: str, known: list[str], workspace: Path | None = None) -> Path:
    """Map an image argument to a file: an existing path, a known image's file name, or an index.

    ``image_0`` / ``0`` / ``<image_1>`` select the n-th known image (0-based; GTA-style ``image_1`` falls back
    to 1-based when out of range). Raises BadInput when nothing matches.
    """
    ref = str(ref).strip().strip("'\"")
    if not ref:
        raise BadInput("empty image argument")
    candidate = Path(ref).expanduser()
    if candidate.is_file():
        return candidate.resolve()
    for path in known:
        p = Path(path)
        if p.name == candidate.name or str(p).endswith(ref):
            return p
    if workspace is not None and (workspace / candidate.name).is_file():
        return (workspace / candidate.name).resolve()
    match = _INDEX_REF.match(ref)
    if match and known:
        index = int(match.group(1))
        if index < len(known):
            return Path(known[index])
        if 1 <= index <= len(known):
            return Path(known[index - 1])
    names = ", ".join(Path(p).name for p in known) or "none"
    raise BadInput(f"unknown image {ref!r} (known images: {names})")


def too_large(exc: Exception) -> str:
    """PIL's decompression-bomb message, short: '1600000000 pixels, over the 178956970-pixel limit'."""
    import re

    numbers = re.findall(r"\d+", str(exc))
    return f"{numbers[0]} pixels, over the {numbers[1]}-pixel limit" if len(numbers) >= 2 else str(exc)


def open_rgb(path: Path):  # noqa: ANN201 - PIL type imported lazily
    """Open an image fully decoded in RGB, raising BadInput for corrupt or oversized files."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
            return img.convert("RGB")
    except Image.DecompressionBombError as exc:
        raise BadInput(f"image too large: {path} ({too_large(exc)})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInput(f"cannot read image {path}: {exc}") from None
