"""Run-viewer benchmark: a 500-task page rendered in a real headless Chromium, against a 50-task baseline.

    python bench/view_render.py [--tasks 500] [--baseline 50] [--repeats 3]

A real 6-task run (the eval runner on the GAIA fixture with the viewer tests' scripted planner: image crops and
drawn boxes included) is replicated to N tasks (each copy with its own feedback log and its own image files),
then ``toolagent view`` writes the page. Chromium (driven over the DevTools protocol) loads it from scratch each
repeat; the medians are reported:

  write   seconds for ``render_path`` (load rows and logs, embed images, Jinja2)
  load    navigation start -> load event end (HTML parsed, styles, inline script run, images decoded);
          best: the fastest repeat (on a busy machine the median carries the other processes' load)
  ready   navigation start -> the page script finished (table sortable / filterable)
  paint   navigation start -> first contentful paint
  filter  one click on the "wrong" filter, until layout is done
  task    opening one task page (template cloned, laid out)

Target: a 500-task run renders in under 2 s (load column).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.eval.fixtures and tests.view

from tests.eval.fixtures import build_gaia
from tests.view.browser import Browser, chromium_path

TARGET_MS = 2000.0
TIMINGS_JS = """(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return {load: nav.loadEventEnd, ready: window.viewReadyMs, paint: paint ? paint.startTime : null};
})()"""
FILTER_JS = """(() => { const t0 = performance.now();
  document.querySelector('button[data-filter=wrong]').click(); document.body.offsetHeight;
  const ms = performance.now() - t0; document.querySelector('button[data-filter=all]').click(); return ms; })()"""
TASK_JS = """new Promise(resolve => { const t0 = performance.now();
  window.addEventListener('hashchange', () => { document.body.offsetHeight;
    requestAnimationFrame(() => resolve(performance.now() - t0)); }, {once: true});
  location.hash = 'task=t1'; })"""


def real_run(root: Path) -> Path:
    from toolagent.eval.job import EvalJob
    from toolagent.eval.runner import run_eval

    data = build_gaia(root / "gaia")
    job = EvalJob(bench="gaia", data=str(data), run_dir=str(root / "seed"), workers=2, task_timeout=60,
                  model="py:tests.view.models:view_model", tool_options={"search": "none"})
    run_eval(job, progress=False)
    return job.path


def _copy_image(source: Path, target: Path) -> None:
    """Copy a produced image; a workspace the agent already cleaned up gets a drawn stand-in of crop size."""
    if source.is_file():
        shutil.copy(source, target)
        return
    from tests.tools.drawing import draw_text_image

    draw_text_image([target.stem[:12]], font_size=40).image.convert("RGB").resize((240, 120)).save(target)


def scaled_run(seed: Path, tasks: int, out: Path) -> Path:
    """``seed``'s rows and feedback logs copied to ``tasks`` tasks, each copy with its own image files."""
    rows = [json.loads(line) for line in (seed / "results.jsonl").read_text().splitlines()]
    (out / "feedback").mkdir(parents=True)
    (out / "images").mkdir()
    shutil.copy(seed / "config.json", out / "config.json")
    shutil.copytree(seed / "plots", out / "plots")
    with (out / "results.jsonl").open("w", encoding="utf-8") as results:
        for index in range(tasks):
            row = dict(rows[index % len(rows)])
            task_id = f"{row['task_id']}-{index:04d}"
            lines = (seed / "feedback" / f"{row['task_id']}.jsonl").read_text().splitlines()
            copies: dict[str, str] = {}
            with (out / "feedback" / f"{task_id}.jsonl").open("w", encoding="utf-8") as log:
                for line in lines:
                    record = json.loads(line)
                    record["task_id"] = task_id
                    images = record["observation"].get("images") or []
                    for i, path in enumerate(images):
                        if path not in copies:
                            copy = out / "images" / f"{task_id}-{Path(path).name}"
                            _copy_image(Path(path), copy)
                            copies[path] = str(copy)
                        images[i] = copies[path]
                    log.write(json.dumps(record) + "\n")
            results.write(json.dumps({**row, "task_id": task_id}) + "\n")
    return out


def measure(page: Path, repeats: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {"load": [], "ready": [], "paint": [], "filter": [], "task": []}
    for _ in range(repeats):
        with Browser() as browser:  # a fresh browser each time: nothing cached
            browser.open(page.as_uri(), timeout=120)
            browser.wait_js("document.body.dataset.ready === '1'")
            timings = browser.js(TIMINGS_JS)
            for key in ("load", "ready", "paint"):
                if timings[key] is not None:
                    samples[key].append(float(timings[key]))
            samples["filter"].append(float(browser.js(FILTER_JS)))
            samples["task"].append(float(browser.js(TASK_JS)))
    medians = {key: statistics.median(values) if values else float("nan") for key, values in samples.items()}
    return {**medians, "best": min(samples["load"], default=float("nan"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--baseline", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if chromium_path() is None:
        sys.exit("chromium is not installed (setup.sh installs Debian's chromium package)")
    from toolagent.view import render_path

    root = Path(tempfile.mkdtemp(prefix="toolagent-view-bench-"))
    try:
        seed = real_run(root)
        results = []
        for tasks in (args.baseline, args.tasks):
            run = scaled_run(seed, tasks, root / f"run{tasks}")
            start = time.perf_counter()
            page = render_path(run, warn=False)
            write_s = time.perf_counter() - start
            results.append((tasks, page.stat().st_size / 1e6, write_s, measure(page, args.repeats)))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    base = results[0][3]
    print(f"run viewer in headless Chromium, median of {args.repeats} fresh loads (times in ms unless noted); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print(f"{'tasks':>6} {'html MB':>8} {'write s':>8} {'load':>8} {'best':>8} {'ready':>8} {'paint':>8} "
          f"{'filter':>8} {'task':>8} {'load vs base':>13}")
    for tasks, size, write_s, m in results:
        print(f"{tasks:>6} {size:>8.2f} {write_s:>8.2f} {m['load']:>8.0f} {m['best']:>8.0f} {m['ready']:>8.0f} "
              f"{m['paint']:>8.0f} {m['filter']:>8.1f} {m['task']:>8.1f} {m['load'] / base['load']:>12.2f}x")
    big = results[-1][3]["load"]
    verdict = "meets" if big < TARGET_MS else "MISSES"
    print(f"\n{args.tasks}-task page loads in {big:.0f} ms: {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
