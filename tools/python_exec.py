"""python — run a Python snippet in a separate, resource-limited process; serves GTA's Plot and Solver.

This is PROCESS ISOLATION, NOT A SECURITY SANDBOX. The snippet runs as the same user, can read files that
user can read and (where the machine has a network) reach the network. What it does give:

- an intermediate process (``py_launcher``) started with a scrubbed environment (PATH, LANG, HOME=the work
  dir, MPLBACKEND=Agg, ...): the host's API keys never reach it, the snippet or their ``/proc/PID/environ``;
- where the kernel allows (root, or unprivileged user namespaces): new PID and mount namespaces with a fresh
  ``/proc`` and every capability dropped, so the snippet sees no process but its own: it cannot read the
  host process's environment or signal it;
- the whole tree killed at the wall-clock limit and when the snippet ends: the launcher is a subreaper,
  so ``setsid`` or a double fork does not escape; a pids cgroup (where writable) and RLIMIT_NPROC cap the
  process count;
- rlimits set before ``exec`` of a separate interpreter (``sys.executable -I``): address space (memory), CPU
  seconds, open files, file size, no core files;
- an empty temporary working directory, deleted afterwards; stdout/stderr captured and read back capped.

Without namespaces (a kernel or container that forbids them) the snippet can still see other processes of
the same user; ``Observation.data["isolation"]`` says which protections were in force.

GTA semantics: if the code defines ``solution()``, it is called and its return value printed; a returned
matplotlib figure is saved as an image. Every figure still open at the end is saved too, and all figures
come back as PNG files in the run's workspace (``ToolOutput.images``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, Field

from toolagent.tools.base import Availability, ToolContext, ToolError, ToolOutput, ToolagentTool
from toolagent.tools.config import ToolConfig

#: bytes of stdout / stderr read back
MAX_OUTPUT_BYTES = 20_000
#: largest file the snippet may write (RLIMIT_FSIZE)
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_OPEN_FILES = 256
_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)

#: processes (and threads) the snippet may have at once (pids cgroup where writable, and RLIMIT_NPROC)
MAX_PROCS = 64
#: seconds the tool waits past the time limit for the launcher to kill the tree and report
LAUNCHER_GRACE_S = 15.0

# The runner (its limits are already set by the launcher): the snippet in a fresh __main__ namespace, then
# GTA's solution() and figures.
_RUNNER = textwrap.dedent('''
    import json, sys, traceback
    cfg = json.load(open(sys.argv[1]))

    def _save_figures(returned=None):
        if "matplotlib.pyplot" not in sys.modules:
            return
        import matplotlib.pyplot as plt
        from matplotlib.figure import Figure
        figures = [plt.figure(n) for n in plt.get_fignums()]
        if isinstance(returned, Figure) and returned not in figures:
            figures.insert(0, returned)
        for i, fig in enumerate(figures):
            fig.savefig(f"figure_{i}.png", dpi=100, bbox_inches="tight")

    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    code = open(cfg["snippet"], encoding="utf-8").read()
    try:
        exec(compile(code, "<snippet>", "exec"), namespace)
        returned = None
        if callable(namespace.get("solution")):
            returned = namespace["solution"]()
            figure_type = None
            if "matplotlib.figure" in sys.modules:
                figure_type = sys.modules["matplotlib.figure"].Figure
            if returned is not None and not (figure_type and isinstance(returned, figure_type)):
                print(returned)
        _save_figures(returned)
    except BaseException:
        kind, exc, tb = sys.exc_info()
        while tb is not None and tb.tb_frame.f_code.co_filename != "<snippet>":
            tb = tb.tb_next  # drop the runner's own frames
        traceback.print_exception(kind, exc, tb, file=sys.stderr)
        sys.stderr.flush()
        sys.exit(1)
''')


class PythonArgs(BaseModel):
    code: str = Field(description="Python code (a ```python fenced block is fine). print() what you need; if it "
                                  "defines solution(), its return value is printed (a returned matplotlib "
                                  "figure is saved as an image).")


def strip_fences(code: str) -> str:
    """Markdown-fenced code (as GTA's Plot/Solver commands are) → the code inside the fences."""
    blocks = _FENCE.findall(code)
    return "\n\n".join(blocks) if blocks else code


def _read_capped(path: Path) -> str:
    if not path.exists():
        return ""
    with path.open("rb") as handle:
        data = handle.read(MAX_OUTPUT_BYTES + 1)
    text = data[:MAX_OUTPUT_BYTES].decode("utf-8", errors="replace")
    return text + ("\n[... output truncated]" if len(data) > MAX_OUTPUT_BYTES else "")


def _environment(workdir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "HOME": str(workdir), "TMPDIR": str(workdir), "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(workdir / ".mpl"),
        "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1",
    }


class SnippetRun(NamedTuple):
    returncode: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    figures: list[Path]
    workdir: Path
    isolation: str  # the protections that were in force (namespaces, cgroup)


def run_snippet(code: str, *, timeout_s: float, memory_mb: int) -> SnippetRun:
    """Run ``code``; returns its exit code (None on timeout), output, figures, work dir and isolation.

    The snippet runs under ``py_launcher`` (an intermediate process started with a scrubbed environment that
    isolates, limits and finally kills the snippet's whole process tree). The caller removes the work dir
    (``shutil.rmtree``) once it has copied the figures out.
    """
    workdir = Path(tempfile.mkdtemp(prefix="toolagent-py-"))
    control = Path(tempfile.mkdtemp(prefix="toolagent-pyctl-"))
    try:
        (control / "snippet.py").write_text(code, encoding="utf-8")
        (control / "runner.py").write_text(_RUNNER, encoding="utf-8")
        limits = {"RLIMIT_AS": memory_mb * 1024 * 1024, "RLIMIT_CPU": int(timeout_s) + 1,
                  "RLIMIT_NOFILE": MAX_OPEN_FILES, "RLIMIT_FSIZE": MAX_FILE_BYTES, "RLIMIT_CORE": 0,
                  "RLIMIT_NPROC": MAX_PROCS}
        (control / "runner.json").write_text(json.dumps({"snippet": str(control / "snippet.py")}))
        launch = {"limits": limits, "timeout_s": timeout_s, "max_procs": MAX_PROCS, "workdir": str(workdir),
                  "runner": str(control / "runner.py"), "runner_config": str(control / "runner.json"),
                  "env": _environment(workdir), "result": str(control / "result.json")}
        (control / "launch.json").write_text(json.dumps(launch))
        launcher = Path(__file__).with_name("py_launcher.py")
        with (control / "stdout").open("wb") as out, (control / "stderr").open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(launcher), str(control / "launch.json")],
                cwd=workdir, env=_environment(workdir), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                start_new_session=True, close_fds=True)
            try:
                process.wait(timeout=timeout_s + LAUNCHER_GRACE_S)
            except subprocess.TimeoutExpired:
                pass
            finally:
                try:
                    os.killpg(process.pid, signal.SIGKILL)  # a launcher that did not finish (never expected)
                except ProcessLookupError:
                    pass
                process.wait()
        stdout, stderr = _read_capped(control / "stdout"), _read_capped(control / "stderr")
        try:
            result = json.loads((control / "result.json").read_text())
        except (OSError, ValueError):
            result = {"returncode": None, "timed_out": True}
        returncode = None if result.get("timed_out") else result.get("returncode")
        figures = sorted(workdir.glob("figure_*.png"), key=lambda p: int(p.stem.split("_")[1]))
        return SnippetRun(returncode, stdout, stderr, figures, workdir, str(result.get("isolation", "unknown")))
    finally:
        shutil.rmtree(control, ignore_errors=True)


def _error_tail(stderr: str, lines: int = 8) -> str:
    kept = [line for line in stderr.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


class PythonTool(ToolagentTool):
    """Runs code in a separate, rlimited process (process isolation, not a security sandbox)."""

    name: str = "python"
    description: str = (
        "Run a Python snippet in a separate process and return what it prints (stdout), plus any matplotlib "
        "figures as images. numpy, sympy, pandas and matplotlib are installed; no network is guaranteed. "
        "If the code defines solution(), its return value is printed. Use for data crunching, sympy "
        "scripts and plots. Example: {\"code\": \"import sympy as sp\\nx = sp.symbols('x')\\n"
        "print(sp.solve(x**2 - 4, x))\"}."
    )
    args_schema: type[BaseModel] = PythonArgs
    enabled: bool = False
    run_timeout_s: float = 30.0
    memory_mb: int = 1024
    timeout_s: float = 45.0

    def availability(self) -> Availability:
        if not self.enabled:
            return Availability(available=False, reason="disabled; enable with --enable-python / TOOLAGENT_PYTHON=1")
        return Availability(available=True)

    def execute(self, args: BaseModel, ctx: ToolContext) -> ToolOutput:
        assert isinstance(args, PythonArgs)
        if not self.enabled:
            raise ToolError(f"python is {self.availability().reason}")
        code = strip_fences(args.code)
        if not code.strip():
            raise ToolError("no code to run")
        start = time.perf_counter()
        returncode, stdout, stderr, figures, workdir, isolation = run_snippet(
            code, timeout_s=self.run_timeout_s, memory_mb=self.memory_mb)
        try:
            images = []
            for figure in figures:
                target = ctx.new_file("plot", ".png")
                shutil.copyfile(figure, target)
                images.append(str(target))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        elapsed = time.perf_counter() - start
        if returncode is None:
            raise ToolError(f"the code ran past the {self.run_timeout_s:g} s limit and was killed"
                            + (f"; output so far:\n{stdout.strip()[-2000:]}" if stdout.strip() else ""))
        if returncode != 0:
            tail = _error_tail(stderr) or f"exit code {returncode}"
            if returncode < 0:
                tail += f" (killed by signal {-returncode}: CPU or memory limit)"
            raise ToolError(f"the code failed:\n{tail}" + (f"\nstdout:\n{stdout.strip()[-2000:]}" if stdout.strip() else ""))
        text = stdout.rstrip() or "(no output)"
        if images:
            text += f"\n[{len(images)} figure(s) saved: {', '.join(Path(p).name for p in images)}]"
        return ToolOutput(text=text, images=images,
                          data={"stdout": stdout, "stderr": stderr[-2000:], "seconds": round(elapsed, 3),
                                "isolation": isolation})


def make_tool(config: ToolConfig) -> PythonTool:
    return PythonTool(enabled=config.enable_python, run_timeout_s=config.python_timeout_s,
                      memory_mb=config.python_memory_mb, timeout_s=config.python_timeout_s + 15)
