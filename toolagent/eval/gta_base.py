"""What both GTA modes share: loading the dataset once, the gold fields of a row, the tools a sample offers."""

from __future__ import annotations

import threading
from typing import Any

from toolagent.eval.gta_data import GtaData, GtaSample, category, load_gta
from toolagent.eval.job import Bench


class GtaBase(Bench):
    """Shared by both GTA modes: loading, gold fields, the tools a sample offers."""

    name = "gta"

    def __init__(self, job: Any) -> None:
        super().__init__(job)
        self._data: GtaData | None = None
        self._lock = threading.Lock()

    @property
    def data(self) -> GtaData:
        with self._lock:
            if self._data is None:
                self._data = load_gta(self.job.data, limit=self.job.limit)
            return self._data

    def tasks(self) -> list[GtaSample]:
        return self.data.samples

    def base_row(self, task: GtaSample) -> dict[str, Any]:
        gold = [{"name": s.name, "arguments": s.arguments} for s in task.tool_steps]
        return {"task_id": task.task_id, "answer_type": task.answer_type, "has_text_answer": task.has_text_answer,
                "query": task.query, "n_gold_tool": len(gold), "gold_calls": gold,
                "gold_categories": [category(c["name"]) for c in gold]}

    def notes(self) -> list[str]:
        from toolagent.eval.similarity import report_note

        return [report_note()]

    def sample_tools(self, task: GtaSample, tool_config: Any, available_only: bool) -> list[Any]:
        """The GTA tools the sample lists (upstream offers the sample's ``tools``), all 14 if it lists none."""
        from toolagent.tools.registry import available_tools, gta_tools

        tools = gta_tools(tool_config)
        if task.tools:
            wanted = set(task.tools)
            chosen = [t for t in tools if t.name in wanted]
            tools = chosen or tools
        return available_tools(tools) if available_only else tools
