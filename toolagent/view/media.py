"""Images embedded in the page: each file once, as a small thumbnail plus a full-size copy opened on click.

Files are keyed by resolved path, so an input image that every step's planner input repeats is stored once.
A file that is gone (a cleaned workspace) or unreadable is listed as missing instead of failing the page.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

THUMB_PX = 160
FULL_PX = 1600


@dataclass
class Picture:
    id: str
    name: str
    thumb: str
    full: str
    width: int
    height: int


def _data_uri(image: object, limit: int, quality: int) -> str:
    from PIL import Image

    assert isinstance(image, Image.Image)
    copy = image.copy()
    copy.thumbnail((limit, limit))
    buffer = io.BytesIO()
    if copy.mode in ("RGBA", "LA", "P", "1", "L") or copy.width * copy.height <= 128 * 128:
        copy.save(buffer, format="PNG", compress_level=6)
        kind = "png"
    else:
        copy.convert("RGB").save(buffer, format="JPEG", quality=quality)
        kind = "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class ImageStore:
    def __init__(self) -> None:
        self.pictures: dict[str, Picture] = {}
        self.missing: list[str] = []
        self._by_path: dict[str, str | None] = {}

    def add(self, path: str | Path) -> str | None:
        """The id of the embedded image at ``path``, or None (and noted in ``missing``) when it cannot be read."""
        from PIL import Image, UnidentifiedImageError

        key = str(path)
        if key in self._by_path:
            return self._by_path[key]
        file = Path(key).expanduser()
        picture_id: str | None = None
        try:
            with Image.open(file) as image:
                image.load()
                picture_id = f"img{len(self.pictures)}"
                self.pictures[picture_id] = Picture(picture_id, file.name, _data_uri(image, THUMB_PX, 80),
                                                    _data_uri(image, FULL_PX, 88), image.width, image.height)
        except (OSError, UnidentifiedImageError, ValueError):
            self.missing.append(key)
        self._by_path[key] = picture_id
        return picture_id


def png_data_uri(path: Path) -> str:
    """A PNG file (a report plot) as a data URI, unchanged."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
