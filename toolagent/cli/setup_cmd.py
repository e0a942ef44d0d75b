"""``toolagent setup``: prepare this machine (embedded model cache) and show what is available."""

from __future__ import annotations

import shutil
import sys
import time

from toolagent.cli.common import one_line_errors


@one_line_errors
def setup() -> None:
    """Convert the embedded model once into the cache (and merge the shipped planner adapter) and report tool
    availability."""
    from toolagent.models.embedded import planner_model_dir

    start = time.perf_counter()
    path = planner_model_dir(prepare=True)
    sys.stdout.write(f"embedded model ready at {path} ({time.perf_counter() - start:.1f} s)\n")
    sys.stdout.write(f"tesseract: {shutil.which('tesseract') or 'missing (apt-get install tesseract-ocr)'}\n")
    from toolagent.tools.registry import availability, build_tools

    for item in build_tools():
        status = availability(item)
        sys.stdout.write(f"  {item.name:<18} {'yes' if status.available else 'no  ' + status.reason}\n")
