"""The run viewer: one self-contained HTML page for a run folder, a results.jsonl, a feedback log or a saved
``ask --json`` result (``toolagent view``), and for a single ``ask`` run (``toolagent ask --html``)."""

from toolagent.view.render import render_path, write_result_html

__all__ = ["render_path", "write_result_html"]
