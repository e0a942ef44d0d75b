"""GTA: the local-snapshot loader (``dataset.json`` + ``toolmeta.json`` + ``image/``) and the gold tool chains.

``dataset.json`` is an object keyed "0".."N". Each entry has ``tools``, ``files`` ([{type, path, url}]),
``dialogs`` (user / assistant with ``tool_calls`` / tool / final assistant ``content``) and ``gt_answer``:
objective ``{"whitelist": [[...]], "blacklist": [[...]] | null}``, subjective: a list of reference strings,
image generation: ``null``. Like the official loader, gold argument strings that name a file under the data
root are made absolute.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from toolagent.errors import BadInput

AnswerType = Literal["objective", "subjective", "imggen"]

CATEGORIES: dict[str, tuple[str, ...]] = {
    "perception": ("OCR", "ImageDescription", "RegionAttributeDescription", "TextToBbox"),
    "operation": ("DrawBox", "AddText", "GoogleSearch"),
    "logic": ("Calculator", "Solver", "Plot", "MathOCR", "CountGivenObject"),
    "creativity": ("TextToImage", "ImageStylization"),
}
#: The image-producing tools whose arguments "AnsAcc w/ ImgGen" compares.
IMAGEGEN_TOOLS = ("DrawBox", "AddText", "Plot", "TextToImage", "ImageStylization")
#: Tools whose argument is generated code (CodeExec in the TraceR1 / T3-Agent report).
CODE_TOOLS = ("Plot", "Solver", "python")


def category(tool: str) -> str:
    """perception / operation / logic / creativity, or "none" for a tool outside GTA's 14."""
    for name, members in CATEGORIES.items():
        if tool in members:
            return name
    return "none"


class GoldStep(BaseModel):
    """One assistant turn of the reference dialog, with the tool output that followed it."""

    kind: Literal["tool", "answer"]
    name: str = ""
    arguments: dict[str, Any] = Field(default_factory=dict)
    thought: str = ""
    text: str = ""
    output: str = ""
    output_type: str = "text"


class GtaSample(BaseModel):
    task_id: str
    query: str
    images: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    steps: list[GoldStep]
    gt_answer: Any = None

    @property
    def answer_type(self) -> AnswerType:
        if isinstance(self.gt_answer, dict):
            return "objective"
        if isinstance(self.gt_answer, list):
            return "subjective"
        return "imggen"

    @property
    def has_text_answer(self) -> bool:
        """The official ``if ref:`` test (samples counted in the AnsAcc / SummAcc denominators)."""
        return bool(self.gt_answer)

    @property
    def tool_steps(self) -> list[GoldStep]:
        return [s for s in self.steps if s.kind == "tool"]


class GtaData(BaseModel):
    root: str
    samples: list[GtaSample]
    toolmeta: dict[str, Any] = Field(default_factory=dict)

    def image_args(self, tool: str) -> set[str]:
        """Names of a tool's image-typed inputs (from toolmeta.json; ``image`` when the tool is not described)."""
        meta = self.toolmeta.get(tool)
        if not isinstance(meta, dict):
            return {"image"}
        return {str(i.get("name")) for i in meta.get("inputs", []) if i.get("type") == "image"}


def _absolute_paths(args: dict[str, Any], root: Path) -> dict[str, Any]:
    """Official ``organize_dialogs``: a string argument naming a file under the root becomes its absolute path."""
    out = dict(args)
    for key, value in args.items():
        if isinstance(value, str) and value and (root / value).is_file():
            out[key] = str((root / value).absolute())
    return out


def _arguments(raw: Any, where: str) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            raise BadInput(f"{where}: tool arguments are not JSON: {raw[:80]!r}") from None
    if not isinstance(raw, dict):
        raise BadInput(f"{where}: tool arguments must be an object")
    return raw


def _tool_output(item: dict[str, Any]) -> tuple[str, str]:
    content = item.get("content")
    if isinstance(content, dict):
        value = content.get("content", "")
        kind = str(content.get("type", "text"))
    else:
        value, kind = content, "text"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text, kind


def _steps(dialogs: list[dict[str, Any]], root: Path, where: str) -> tuple[str, list[GoldStep]]:
    query = ""
    steps: list[GoldStep] = []
    for item in dialogs:
        role = item.get("role")
        if role == "user" and not query:
            query = str(item.get("content", ""))
        elif role == "assistant" and item.get("tool_calls"):
            function = item["tool_calls"][0].get("function", {})
            steps.append(GoldStep(kind="tool", name=str(function.get("name", "")),
                                  arguments=_absolute_paths(_arguments(function.get("arguments", {}), where), root),
                                  thought=str(item.get("thought") or "")))
        elif role == "assistant":
            steps.append(GoldStep(kind="answer", text=str(item.get("content") or ""),
                                  thought=str(item.get("thought") or "")))
        elif role == "tool" and steps and steps[-1].kind == "tool":
            steps[-1].output, steps[-1].output_type = _tool_output(item)
    if not query:
        raise BadInput(f"{where}: the dialog has no user query")
    if not steps:
        raise BadInput(f"{where}: the dialog has no assistant turn")
    return query, steps


def _sample(key: str, entry: dict[str, Any], root: Path) -> GtaSample:
    where = f"dataset.json entry {key}"
    if not isinstance(entry, dict) or "dialogs" not in entry:
        raise BadInput(f"{where}: missing 'dialogs'")
    images: list[str] = []
    for file in entry.get("files") or []:
        path = root / str(file.get("path", "") if isinstance(file, dict) else file)
        if not path.is_file():
            raise BadInput(f"{where}: file not found: {path}")
        if not path.resolve().is_relative_to(root.resolve()) or path.resolve() == (root / "dataset.json").resolve():
            raise BadInput(f"{where}: file {path} is outside the dataset folder {root}; refused")
        images.append(str(path.absolute()))
    query, steps = _steps(entry["dialogs"], root, where)
    tools = [str(t.get("name")) for t in entry.get("tools") or [] if isinstance(t, dict)]
    return GtaSample(task_id=str(key), query=query, images=images, tools=tools, steps=steps,
                     gt_answer=entry.get("gt_answer"))


def load_gta(data: str | Path, limit: int | None = None) -> GtaData:
    """Load a GTA snapshot folder. Raises BadInput with one clear line for a wrong folder or a bad entry."""
    root = Path(data).expanduser()
    dataset = root / "dataset.json"
    if not dataset.is_file():
        raise BadInput(f"no GTA dataset.json in {root}")
    if limit is not None and limit < 1:
        raise BadInput(f"--limit must be positive (got {limit})")
    try:
        raw = json.loads(dataset.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BadInput(f"{dataset} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    items = list(raw.items()) if isinstance(raw, dict) else [(str(i), e) for i, e in enumerate(raw)]
    samples = [_sample(key, entry, root) for key, entry in items]
    meta_path = root / "toolmeta.json"
    toolmeta: dict[str, Any] = {}
    if meta_path.is_file():
        try:
            toolmeta = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise BadInput(f"{meta_path} is not valid JSON ({exc.msg})") from None
    return GtaData(root=str(root.absolute()), samples=samples[:limit] if limit else samples, toolmeta=toolmeta)
