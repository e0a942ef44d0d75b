"""The frozen-tool contract.

Every toolagent tool is a LangChain ``BaseTool`` with a pydantic ``args_schema``; users' own tools plug in
unchanged. On top of that, a ``ToolagentTool``:

- says whether it can run here and why not (``availability()``); the planner is offered available tools only;
- implements ``execute(args, ctx) -> ToolOutput`` where ``args`` is the validated schema instance and ``ctx``
  carries the run's workspace and the images known to the run;
- reads files only through ``ToolContext.resolve_path``: the task's attachments, the run's workspace, and the
  folders ``ToolConfig.allow_paths`` opts into. Anything else is refused with an error the planner reads;
- never raises out of the graph: ``run_tool`` turns every failure (bad args, missing file, timeout, backend
  error) into an ``Observation`` with ``error`` set, which the planner reads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import json
import re
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
    reason: str = ""  # why not (unavailable), or what was not checked (available)

NOT_CHECKED_NETWORK = "needs the network, which is not checked here (a call reports it when it fails)"


AVAILABLE = Availability(available=True)


class ToolError(Exception):
    """A failure a tool reports in words the planner can act on (becomes ``Observation.error``)."""


class ToolOutput(BaseModel):
    """What ``execute`` returns: text for the planner, produced image paths, optional JSON-native data."""

    text: str
    images: list[str] = Field(default_factory=list)
    data: Any = None
    #: a shorter text for small models' compact prompts (e.g. OCR lines without their boxes); None: ``text``
    brief: str | None = None


_INDEX_REF = re.compile(r"^(?:image[_ ]?|img[_ ]?|<image_?)?(\d+)>?$", re.IGNORECASE)


class ToolContext(BaseModel):
    """Per-run context handed to tools. One run owns one context; nothing is shared between runs.

    It is also the run's file boundary: ``resolve_path`` is the one place a tool turns an argument into a file
    it may read."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    workspace: Path = Field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="toolagent-ws-")))
    images: list[str] = Field(default_factory=list)
    #: documents attached to the run (GAIA attachments), so tools can find them by file name
    files: list[str] = Field(default_factory=list)
    #: further files or folders tools may read (``ToolConfig.allow_paths``; ``run_tool`` adds the tool's own)
    allowed: list[str] = Field(default_factory=list)

    def is_allowed(self, path: Path) -> bool:
        """Whether ``path`` (symlinks followed) is an attachment, inside the workspace, or explicitly allowed."""
        real = path.expanduser().resolve()
        if any(real == Path(p).expanduser().resolve() for p in [*self.files, *self.images]):
            return True
        return any(real.is_relative_to(Path(root).expanduser().resolve())
                   for root in [self.workspace, *self.allowed])

    def resolve_path(self, ref: str, images_only: bool = False) -> Path:
        """Map a tool's file argument to a readable regular file the run may read; ToolError otherwise.

        Accepted: a path (absolute, ``~``, or relative to the working folder or the workspace) that is allowed,
        the file name of an attachment (the task's images, and its files unless ``images_only``), a file name
        in the workspace, or ``image_N`` / ``N`` / ``<image_N>`` for the N-th image (0-based; GTA-style
        ``image_1`` falls back to 1-based when out of range). Symlinks are followed before the check.
        """
        ref = str(ref).strip().strip("'\"")
        what = "image" if images_only else "file"
        if not ref:
            raise ToolError(f"empty {what} argument")
        known = [Path(p) for p in (self.images if images_only else [*self.files, *self.images])]
        try:
            candidate = Path(ref).expanduser()
            tries = [candidate] if candidate.is_absolute() else [self.workspace / candidate, candidate]
            existing = [p for p in tries if p.exists() or p.is_symlink()]
        except (OSError, ValueError):  # a name too long or with a NUL byte
            raise ToolError(f"not a usable {what} path: {ref[:200]!r}") from None
        allowed = [p for p in existing if self.is_allowed(p)]
        refused = len(allowed) < len(existing)
        if allowed:
            return _regular(allowed[0], ref)
        for path in known:
            if path.name == candidate.name or str(path).endswith(ref):
                return _regular(path, ref)
        match = _INDEX_REF.match(ref)
        if match and images_only and known:
            index = int(match.group(1))
            if index < len(known):
                return _regular(known[index], ref)
            if 1 <= index <= len(known):
                return _regular(known[index - 1], ref)
        if refused:
            raise ToolError(f"access refused: {ref} is not one of the task's files and not in the run's workspace "
                            "(only attachments, produced files and folders given with --allow-path are readable)")
        names = ", ".join(p.name for p in known) or "none"
        if images_only:
            raise ToolError(f"unknown image {ref!r} (known images: {names})")
        raise ToolError(f"file not found: {ref} (the task's files: {names})")

    def resolve_image(self, ref: str) -> Path:
        """Resolve an image argument: an allowed path, a known image's file name, or ``image_N``/index."""
        return self.resolve_path(ref, images_only=True)

    def new_file(self, stem: str, suffix: str) -> Path:
        """A fresh, unique path inside the workspace for a produced file."""
        self.workspace.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(
            dir=self.workspace, prefix=f"{stem}-", suffix=suffix, delete=False
        )
        handle.close()
        return Path(handle.name)


def _regular(path: Path, ref: str) -> Path:
    """The resolved path when it is a regular file (a FIFO or device would block or never end a read)."""
    real = path.resolve()
    if real.is_dir():
        raise ToolError(f"{ref} is a directory, not a file")
    if not real.is_file():
        raise ToolError(f"{ref} is not a regular file" if real.exists() else f"file not found: {ref}")
    return real


class ToolagentTool(BaseTool):
    """Base class of the frozen tools. Subclasses set name/description/args_schema and implement execute."""

    #: Official GTA tool name this tool serves (None when it is not a GTA tool).
    gta_name: ClassVar[str | None] = None
    #: Calling it changes nothing a later step (or the world) can see: it only reads its inputs and returns a
    #: result, so the agent may run it speculatively ahead of the planner. Read by ``registry.side_effect_free``.
    side_effect_free: ClassVar[bool] = False
    #: Wall-clock limit for one call, seconds.
    timeout_s: float = 60.0
    #: Files/folders this tool may read beyond the run's attachments and workspace (``ToolConfig.allow_paths``).
    allowed_paths: list[str] = Field(default_factory=list)

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
    if isinstance(schema, dict):  # a JSON schema (MCP tools, tools made from OpenAI-style definitions)
        return _validate_json(tool.name, schema, args)
    if schema is None:
        return args
    try:
        return schema.model_validate(args)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'args'}: {err['msg']}" for err in exc.errors()
        )
        raise ToolError(f"invalid arguments for {tool.name}: {problems}") from None


def _validate_json(name: str, schema: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    import jsonschema

    try:
        validator = jsonschema.validators.validator_for(schema)(schema)
        problems = sorted(validator.iter_errors(args), key=lambda e: list(e.absolute_path))
    except jsonschema.SchemaError:  # a broken schema is the tool's problem: let the call tell
        return args
    if problems:
        text = "; ".join(f"{'.'.join(str(p) for p in e.absolute_path) or 'args'}: {e.message}" for e in problems[:3])
        raise ToolError(f"invalid arguments for {name}: {text}")
    return args


def _traced(tool: ToolagentTool, args: dict[str, Any], parsed: BaseModel, ctx: ToolContext) -> ToolOutput:
    """Execute with the standard tool callbacks (LangSmith and any handler in the run's config see the call)."""
    from toolagent.tools.direct import callback_manager

    manager = callback_manager(tool.callbacks, tool.verbose, tool.tags, tool.metadata)
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
        if tool.allowed_paths:
            ctx = ctx.model_copy(update={"allowed": [*ctx.allowed, *tool.allowed_paths]})
        parsed = validate_args(tool, args)
        assert isinstance(parsed, BaseModel)
        return _traced(tool, args, parsed, ctx)
    validate_args(tool, args)
    return _as_output(_invoke(tool, args))


def _coroutine_only(tool: BaseTool) -> bool:
    """A tool that only has an async implementation (what ``StructuredTool.from_function(coroutine=...)`` and
    MCP adapters produce): ``invoke`` would refuse it."""
    return getattr(tool, "coroutine", None) is not None and getattr(tool, "func", True) is None


def _native_async(tool: BaseTool) -> bool:
    """Whether ``ainvoke`` runs the tool's own coroutine (else it would only wrap the sync code in a thread)."""
    if isinstance(tool, ToolagentTool):
        return False
    return getattr(tool, "coroutine", None) is not None or type(tool)._arun is not BaseTool._arun


def _invoke(tool: BaseTool, args: dict[str, Any]) -> Any:
    """``tool.invoke``; a coroutine-only tool runs on an event loop of its own (in this thread when none runs
    here, else in a helper thread)."""
    if not _coroutine_only(tool):
        from toolagent.tools.direct import tool_runner

        run = tool_runner(tool)
        return run(args) if run is not None else tool.invoke(args)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(tool.ainvoke(args))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(contextvars.copy_context().run, asyncio.run, tool.ainvoke(args)).result()


def _as_output(result: Any) -> ToolOutput:
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
    except Exception as exc:  # a tool failure is an observation, not a crash
        return _failed(tool, exc, limit, start)
    return _observed(tool, output, start)


def _observed(tool: BaseTool, output: ToolOutput, start: float) -> Observation:
    """A finished call as the Observation the planner reads (one rule for the sync and the async path)."""
    return Observation(tool=tool.name, text=output.text, images=output.images, data=output.data, brief=output.brief,
                       latency_s=time.perf_counter() - start)


def _failed(tool: BaseTool, exc: Exception, limit: float | None, start: float) -> Observation:
    """A failed call as the Observation the planner reads (one rule for the sync and the async path)."""
    latency = time.perf_counter() - start
    if isinstance(exc, (concurrent.futures.TimeoutError, asyncio.TimeoutError)):
        after = f" after {limit:g} s" if limit else ""
        return Observation(tool=tool.name, error=f"{tool.name} timed out{after}", latency_s=latency)
    if isinstance(exc, (ToolError, ToolagentError)):
        return Observation(tool=tool.name, error=str(exc), latency_s=latency)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return Observation(tool=tool.name, error=f"{tool.name} failed: {type(exc).__name__}: {message}"[:500],
                       latency_s=latency)


async def arun_tool(tool: BaseTool, args: dict[str, Any], ctx: ToolContext,
                    timeout_s: float | None = None) -> Observation:
    """Async twin of ``run_tool``: the same validation, time limit and failures-as-observations. A tool with its
    own coroutine (users' async tools, MCP tools) is awaited on the caller's loop; our sync tools run in a
    worker thread."""
    if not _native_async(tool):
        return await asyncio.to_thread(run_tool, tool, args, ctx, timeout_s)
    limit = timeout_s if timeout_s is not None else getattr(tool, "timeout_s", None)
    start = time.perf_counter()

    async def call() -> ToolOutput:
        validate_args(tool, args)
        return _as_output(await tool.ainvoke(args))

    try:
        output = await asyncio.wait_for(call(), limit) if limit else await call()
    except Exception as exc:  # a tool failure is an observation, not a crash
        return _failed(tool, exc, limit, start)
    return _observed(tool, output, start)
