"""The generated page in a real headless Chromium: rows, filters with real clicks, sorting, a task's timeline
with its forecasts and images, the lightbox, nothing fetched; screenshots kept as test artefacts."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.view.browser import CHROMIUM_FLAGS, Browser

def keep(shot: Path) -> Path:
    """A screenshot stays in the test's tmp dir; with TOOLAGENT_TEST_ARTEFACTS set it is copied there too (CI)."""
    assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 10_000
    target = os.environ.get("TOOLAGENT_TEST_ARTEFACTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / shot.name)
    return shot


VISIBLE_IDS = ("Array.from(document.querySelectorAll('#task-table tbody tr'))"
               ".filter(r => r.offsetParent !== null).map(r => r.dataset.id)")


@pytest.fixture(scope="module")
def page(chromium: str, report: Path) -> Iterator[Browser]:
    with Browser() as browser:
        browser.call("Network.enable")
        browser.open(report.as_uri())
        yield browser


def visible(page: Browser) -> list[str]:
    return page.js(VISIBLE_IDS)


def test_rows_and_outcome_filters_change_the_visible_rows(page: Browser, tmp_path: Path) -> None:
    page.open(page.js("location.href.split('#')[0]"))
    assert page.js("document.body.dataset.ready") == "1"
    assert sorted(visible(page)) == sorted(["t-l1-calc", "t-l1-image", "t-l2-csv", "t-l2-pdf", "t-l3-list",
                                            "t-l3-city"])
    page.click("button[data-filter=wrong]")
    assert visible(page) == ["t-l3-city"]
    assert page.js("document.getElementById('shown').textContent") == "1"
    assert "filter=wrong" in page.js("location.hash")
    page.click("button[data-filter=correct]")
    assert len(visible(page)) == 5 and "t-l3-city" not in visible(page)
    page.click("button[data-filter=error]")
    assert visible(page) == []
    page.click("button[data-filter=all]")
    assert len(visible(page)) == 6
    keep(page.screenshot(tmp_path / "run_page.png"))


def test_search_level_and_tool_filters(page: Browser) -> None:
    page.open(page.js("location.href.split('#')[0]"))
    page.type_text("#search", "bird")
    assert visible(page) == ["t-l2-pdf"]
    page.js("(() => { const s = document.getElementById('search'); s.value = '';"
            " s.dispatchEvent(new Event('input')); })()")
    assert len(visible(page)) == 6
    # a <select> popup is not clickable headless: choose the option and fire the change event a user would
    page.js("(() => { const s = document.getElementById('group-filter'); s.value = 'Level 2';"
            " s.dispatchEvent(new Event('change')); })()")
    assert sorted(visible(page)) == ["t-l2-csv", "t-l2-pdf"]
    page.js("(() => { const s = document.getElementById('group-filter'); s.value = '';"
            " s.dispatchEvent(new Event('change')); const t = document.getElementById('tool-filter');"
            " t.value = 'draw_box'; t.dispatchEvent(new Event('change')); })()")
    assert visible(page) == ["t-l1-image"]


def test_sorting_by_a_column_header(page: Browser) -> None:
    page.open(page.js("location.href.split('#')[0]"))
    page.click("th[data-sort=steps]")
    order = visible(page)
    assert order[0] == "t-l3-list" and order[-1] == "t-l1-image"   # 0 steps first, 2 steps last
    page.click("th[data-sort=steps]")
    assert visible(page)[0] == "t-l1-image"
    assert "sort=steps" in page.js("location.hash") and "dir=desc" in page.js("location.hash")


def test_task_timeline_shows_forecasts_divergence_and_images(page: Browser, tmp_path: Path) -> None:
    page.open(page.js("location.href.split('#')[0]"))
    page.click("tr[data-id='t-l1-image'] td:nth-child(3)")   # a row click opens the task page
    assert page.wait_js("document.body.dataset.page === 'task'")
    assert page.js("document.getElementById('run-page').hidden") is True
    turns = page.js("Array.from(document.querySelectorAll('#task-page .turn')).map(t => t.querySelector('.call')"
                    ".textContent)")
    assert turns == ["crop_image", "draw_box", "answer"]
    # each turn's forecast table with the executed first step highlighted
    plans = page.js("Array.from(document.querySelectorAll('#task-page table.forecast')).map(t =>"
                    " Array.from(t.tBodies[0].rows).map(r => r.cells[1].textContent))")
    assert plans == [["crop_image", "ocr", "answer"], ["draw_box", "answer"], ["answer"]]
    assert page.js("document.querySelectorAll('#task-page table.forecast tr.executed').length") == 3
    # turn 2 diverged from turn 1's forecast (ocr was expected next, draw_box ran)
    note = page.js("document.querySelectorAll('#task-page .turn')[1].querySelector('.divergence').textContent")
    assert "expected ocr" in note and "draw_box" in note
    assert page.js("document.querySelectorAll('#task-page .turn')[1].querySelector('.badge.d-changed') !== null")
    # the attachment, the crop and the drawn box, decoded as images (not broken)
    sizes = page.js("Promise.all(Array.from(document.querySelectorAll('#task-page img.thumb')).map(i =>"
                    " i.decode().then(() => [i.alt, i.naturalWidth])))")
    names = [name for name, _ in sizes]
    assert len(names) == 3, f"{names}: produced images are gone (the eval must keep each task's workspace)"
    assert names[0] == "t-l1-image.png" and any(n.startswith("crop-") for n in names) and any(
        n.startswith("draw_box-") for n in names)
    assert all(width > 0 for _, width in sizes)
    keep(page.screenshot(tmp_path / "task_page.png"))
    # a thumbnail opens full size in the lightbox (the crop is 240 px wide, larger than its thumbnail)
    page.click("#task-page img.thumb[alt^='crop-']")
    assert page.js("document.getElementById('lightbox').hidden") is False
    full = page.js("(() => { const i = document.querySelector('#lightbox img'); return i.decode().then(() =>"
                   " i.naturalWidth); })()")
    assert full == 240
    page.click("#lightbox")
    assert page.js("document.getElementById('lightbox').hidden") is True
    # back to the run page
    page.click("#task-page a.back")
    assert page.wait_js("document.body.dataset.page === 'run'") and len(visible(page)) == 6


def test_the_page_fetches_nothing(page: Browser) -> None:
    page.drain()
    page.open(page.js("location.href.split('#')[0]") + "#task=t1")
    urls = [e["params"]["request"]["url"] for e in page.drain() if e.get("method") == "Network.requestWillBeSent"]
    assert urls, "the navigation itself should be seen"
    assert all(u.startswith(("file:", "data:")) for u in urls), urls


def test_dump_dom_applies_a_filter_from_the_url(chromium: str, report: Path, tmp_path: Path) -> None:
    """The plain CLI route (no CDP): --dump-dom after the page's script ran with #filter=wrong in the URL."""
    dom = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=2000",
         "--run-all-compositor-stages-before-draw", "--dump-dom", report.as_uri() + "#filter=wrong"],
        capture_output=True, text=True, timeout=120, check=True).stdout
    assert 'data-visible-rows="1"' in dom
    table = dom.split('id="task-table"', 1)[1]
    rows = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr ")[1:]
    assert len(rows) == 6
    shown = [r for r in rows if " hidden" not in r.split(">", 1)[0]]
    assert len(shown) == 1 and 'data-id="t-l3-city"' in shown[0]


def test_long_tables_show_a_first_page_then_all(chromium: str, run_dir: Path, tmp_path: Path) -> None:
    from toolagent.view.load import load_source
    from toolagent.view.render import build_page, render_page

    page = build_page(load_source(run_dir))
    page.page_rows = 2                      # as a 500-task run shows its first 200 rows
    html = tmp_path / "paged.html"
    html.write_text(render_page(page), encoding="utf-8")
    with Browser() as browser:
        browser.open(html.as_uri())
        assert len(visible(browser)) == 2
        assert browser.js("document.getElementById('matched').textContent") == "6"
        browser.click("#more")
        assert len(visible(browser)) == 6 and browser.js("document.getElementById('more').hidden") is True
        browser.click("button[data-filter=correct]")          # a new filter starts from the first page again
        assert len(visible(browser)) == 2 and browser.js("document.getElementById('matched').textContent") == "5"
        browser.click("th[data-sort=steps]")
        browser.click("th[data-sort=steps]")
        assert visible(browser)[0] == "t-l1-image"             # the page holds the first rows of the sorted order
