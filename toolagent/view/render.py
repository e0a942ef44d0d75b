"""Render a loaded source into ONE self-contained HTML file with Jinja2 (CSS, JS and images inline).

``render_path`` is what ``toolagent view`` calls; ``write_result_html`` is what ``toolagent ask --html`` calls.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolagent.errors import BadInput
from toolagent.eval.outcome import OUTCOMES
from toolagent.view.load import Source, load_source, result_source
from toolagent.view.media import ImageStore, Picture, png_data_uri
from toolagent.view.model import TaskView, task_view


@dataclass
class GroupScore:
    name: str
    tasks: int
    scored: int
    correct: int

    @property
    def percent(self) -> float | None:
        return 100.0 * self.correct / self.scored if self.scored else None


@dataclass
class Page:
    title: str
    subtitle: str
    source: str
    kind: str
    generated: str
    tasks: list[TaskView]
    groups: list[GroupScore]
    outcomes: dict[str, int]
    metrics: dict[str, Any]
    means: dict[str, float | None]
    plots: list[tuple[str, str]]
    pictures: dict[str, Picture]
    tools: list[str]
    warnings: list[str] = field(default_factory=list)
    #: task rows shown before "show all" (a long table costs the browser most of its first layout)
    page_rows: int = 200

    @property
    def full_images(self) -> dict[str, str]:
        """Full-size images by id, for the lightbox (kept out of the DOM until one is opened)."""
        return {key: picture.full for key, picture in self.pictures.items()}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def build_page(source: Source) -> Page:
    images = ImageStore()
    tasks = [task_view(i, row, source.steps.get(str(row.get("task_id")), []), images, source.attachments)
             for i, row in enumerate(source.rows)]
    groups: dict[str, GroupScore] = {}
    for task in tasks:
        group = groups.setdefault(task.group, GroupScore(task.group, 0, 0, 0))
        group.tasks += 1
        group.scored += task.outcome in ("correct", "wrong")
        group.correct += task.outcome == "correct"
    counts = Counter(t.outcome for t in tasks)
    job = source.config.get("job") or {}
    summary = source.summary
    model, graph = summary.get("model") or job.get("model") or "", summary.get("graph") or job.get("graph") or ""
    bench = " ".join(str(x) for x in (job.get("bench"), job.get("mode") if job.get("bench") == "gta" else
                                      job.get("split")) if x)
    metrics = {k: v for k, v in (summary.get("metrics") or {}).items()
               if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))}
    warnings = list(source.warnings)
    missing = [t.task_id for t in tasks if t.attachment_missing]
    if missing:
        warnings.append(f"attachment missing for {len(missing)} task(s): {', '.join(missing[:10])}")
    if images.missing:
        warnings.append(f"{len(images.missing)} image file(s) no longer exist and are not shown "
                        f"(e.g. {images.missing[0]})")
    if source.kind in ("run", "results") and tasks and not source.steps and not any(t.turns for t in tasks):
        warnings.append("no feedback/ folder beside the results: task timelines are empty")
    return Page(
        title=" · ".join(x for x in (bench.upper() if bench else "", model, graph) if x) or source.path.name,
        subtitle={"run": "evaluation run", "results": "results file", "feedback": "feedback log",
                  "result": "single run"}[source.kind],
        source=str(source.path), kind=source.kind, generated=time.strftime("%Y-%m-%d %H:%M:%S"), tasks=tasks,
        groups=sorted(groups.values(), key=lambda g: g.name), outcomes={o: counts.get(o, 0) for o in OUTCOMES},
        metrics=metrics,
        means={"steps": _mean([float(t.steps) for t in tasks if isinstance(t.steps, int)]),
               "seconds": _mean([t.elapsed for t in tasks if t.elapsed is not None]),
               "plan changes": _mean([float(t.changes) for t in tasks if t.timeline])},
        plots=[(p.stem.replace("_", " "), png_data_uri(p)) for p in source.plots], pictures=images.pictures,
        tools=sorted({tool for t in tasks for tool in t.tools}), warnings=warnings)


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
    from markupsafe import Markup

    env = Environment(loader=PackageLoader("toolagent.view", "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda v, digits=2: "-" if v is None else (f"{v:.{digits}f}" if isinstance(v, float)
                                                                    else str(v))
    # JSON inside <script>: "<" escaped so no "</script>" can end the block early; safe from HTML escaping
    env.filters["script_json"] = lambda v: Markup(json.dumps(v, ensure_ascii=True).replace("<", "\\u003c"))
    return env


def render_page(page: Page) -> str:
    return _environment().get_template("page.html").render(page=page)


def default_out(source: Source) -> Path:
    if source.path.is_dir():
        return source.path / "report.html"
    return source.path.with_name(source.path.stem + ".html") if source.path.name != "results.jsonl" \
        else source.path.with_name("report.html")


def _write(page: Page, out: Path) -> Path:
    out = out.expanduser()
    if out.is_dir():
        raise BadInput(f"--out is a folder, not a file: {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(render_page(page), encoding="utf-8")
    tmp.replace(out)
    return out


def render_path(path: str | Path, out: str | Path | None = None, warn: bool = True) -> Path:
    """Render a run folder / results.jsonl / feedback log / ask --json file; returns the HTML path written."""
    source = load_source(path)
    page = build_page(source)
    if warn:
        for line in page.warnings:
            sys.stderr.write(f"warning: {line}\n")
    return _write(page, Path(out) if out else default_out(source))


def write_result_html(result: Any, out: str | Path) -> Path:
    """Write the page for one RunResult (``toolagent ask --html FILE``)."""
    data = result.model_dump(mode="json") if hasattr(result, "model_dump") else dict(result)
    return _write(build_page(result_source(data, Path(out))), Path(out))
