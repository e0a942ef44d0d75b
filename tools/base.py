"""The frozen-tool contract.

Every toolagent tool is a LangChain ``BaseTool`` with a pydantic ``args_schema``; users' own tools plug in
unchanged. On top of that, a ``ToolagentTool``:

- says whether it can run here and why not (``availability()``); the planner is offered available tools only;
- implements ``execute(args, ctx) -> ToolOutput`` where ``args`` is the validated schema instance and ``ctx``
  carries the run's workspace and the images known to the run;
- never raises out of the graph: ``run_tool`` turns every failure (bad args, missing file, timeout, backend
  error) into an ``Observation`` with ``error`` set, which the planner reads.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import json
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolagent.errors import ToolagentError
from toolagent.records import Observation


class Availability(BaseModel):
    available: bool
    reason: str = ""


AVAILABLE = Availability(available=True)


class ToolError(Exception):
    """A failure a tool reports in words the planner can act on (becomes ``Observation.error``)."""


class ToolOutput(BaseModel):
    """What ``execute`` returns: text for the planner, produced image paths, optional JSON-native data."""

    text: str
    images: list[str] = Field(default_factory=list)
    data: Any = None


class ToolContext(BaseModel):
    """Per-run context handed to tools. One run owns one context; nothing is shared between runs."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    workspace: Path = Field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="toolagent-ws-")))
    images: list[str] = Field(default_factory=list)
    #: documents attached to the run (GAIA attachments), so tools can find them by file name
    files: list[str] = Field(default_factory=list)

    def resolve_image(self, ref: str) -> Path:
        """Resolve an image argument: a path, a known image's file name, or ``image_N``/index into images."""
        from toolagent.images import resolve_image_ref

        return resolve_image_ref(ref, self.images, self.workspace)

    def new_file(self, stem: str, suffix: str) -> Path:
        """A fresh, unique path inside the workspace for a produced file."""
        self.workspace.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(
            dir=self.workspace, prefix=f"{stem}-", suffix=suffix, delete=False
        )
        handle.close()
        return Path(handle.name)


class ToolagentTool(BaseTool):
    """Base class of the frozen tools. Subclasses set name/description/args_schema and implement execute."""

    #: Official GTA tool name this tool serves (None when it is not a GTA tool).
    gta_name: ClassVar[str | None] = None
    #: Wall-clock limit for one call, seconds.
    timeout_s: float = 60.0

    def availability(self) -> Availability:
        return AVAILABLE

    def execute(self, args: BaseModel, ctx: ToolContext) -> ToolOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    def _run(self, *args: Any, **kwargs: Any) -> str:
        """LangChain entry point: validate, execute in a throwaway context, return the text (or raise)."""
        kwargs.pop("run_manager", None)
        obs = run_tool(self, kwargs, ToolContext())
        if obs.error:
            raise ToolError(obs.error)
        return obs.text


def tool_schema(tool: BaseTool) -> dict[str, Any]:
    """JSON schema of a tool's arguments (what the planner prompt shows)."""
    schema = tool.args_schema
    if schema is None:
        return {"type": "object", "properties": {}}
    if isinstance(schema, dict):
        return schema
    return schema.model_json_schema()


def validate_args(tool: BaseTool, args: dict[str, Any]) -> BaseModel | dict[str, Any]:
    """Validate arguments against the tool's schema; raises ToolError with a readable message."""
    schema = tool.args_schema
    if schema is None or isinstance(schema, dict):
        return args
    try:
        return schema.model_validate(args)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'args'}: {err['msg']}" for err in exc.errors()
        )
        raise ToolError(f"invalid arguments for {tool.name}: {problems}") from None


def _traced(tool: ToolagentTool, args: dict[str, Any], parsed: BaseModel, ctx: ToolContext) -> ToolOutput:
    """Execute with the standard tool callbacks (LangSmith and any handler in the run's config see the call)."""
    from langchain_core.callbacks import CallbackManager
    from langchain_core.runnables.config import ensure_config

    config = ensure_config()
    manager = CallbackManager.configure(config.get("callbacks"), tool.callbacks, tool.verbose, config.get("tags"),
                                        tool.tags, config.get("metadata"), tool.metadata)
    if not manager.handlers:
        return tool.execute(parsed, ctx)
    run = manager.on_tool_start({"name": tool.name, "description": tool.description},
                                json.dumps(args, default=str), inputs=args)
    try:
        output = tool.execute(parsed, ctx)
    except BaseException as exc:
        run.on_tool_error(exc)
        raise
    run.on_tool_end(output.text)
    return output


def _call(tool: BaseTool, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
    if isinstance(tool, ToolagentTool):
        parsed = validate_args(tool, args)
        assert isinstance(parsed, BaseModel)
        return _traced(tool, args, parsed, ctx)
    validate_args(tool, args)
    result = tool.invoke(args)
    if isinstance(result, ToolOutput):
        return result
    if isinstance(result, str):
        return ToolOutput(text=result)
    try:
        return ToolOutput(text=json.dumps(result, default=str), data=json.loads(json.dumps(result, default=str)))
    except (TypeError, ValueError):
        return ToolOutput(text=str(result))


def run_tool(tool: BaseTool, args: dict[str, Any], ctx: ToolContext, timeout_s: float | None = None) -> Observation:
    """Run one tool call and return an Observation. Never raises for tool-side failures."""
    limit = timeout_s if timeout_s is not None else getattr(tool, "timeout_s", None)
    start = time.perf_counter()
    try:
        if limit:
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"tool-{tool.name}")
            try:
                # copy the context so callbacks and the run's config reach the worker thread
                output = pool.submit(contextvars.copy_context().run, _call, tool, args, ctx).result(timeout=limit)
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
        else:
            output = _call(tool, args, ctx)
    except concurrent.futures.TimeoutError:
        return Observation(tool=tool.name, error=f"{tool.name} timed out after {limit:g} s",
                           latency_s=time.perf_counter() - start)
    except (ToolError, ToolagentError) as exc:
        return Observation(tool=tool.name, error=str(exc), latency_s=time.perf_counter() - start)
    except Exception as exc:  # a tool failure is an observation, not a crash
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Observation(tool=tool.name, error=f"{tool.name} failed: {type(exc).__name__}: {message}"[:500],
                           latency_s=time.perf_counter() - start)
    return Observation(tool=tool.name, text=output.text, images=output.images, data=output.data,
                       latency_s=time.perf_counter() - start)
