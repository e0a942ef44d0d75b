"""What the python tool isolates, tested for real: the host's environment, detached processes, the host process
itself, and process counts. Each hostile snippet runs under a separate "host" Python process that holds a secret
in its initial environment (what /proc/PID/environ shows), so a snippet that escaped could only hurt that host.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.tools.procs import alive_after_grace

SECRET = "sk-toolagent-test-secret-5f3a"
HOST = textwrap.dedent("""
    import json, sys
    from toolagent.tools.base import ToolContext, run_tool
    from toolagent.tools.config import ToolConfig
    from toolagent.tools.python_exec import make_tool
    tool = make_tool(ToolConfig(enable_python=True, python_timeout_s=float(sys.argv[2])))
    obs = run_tool(tool, {"code": open(sys.argv[1]).read()}, ToolContext())
    print(json.dumps({"text": obs.text, "error": obs.error}), flush=True)
    print("host alive", flush=True)
""")


@pytest.fixture(scope="module")
def isolation() -> str:
    """The protections the launcher managed here (namespaces and the pids cgroup need kernel support)."""
    from toolagent.tools.base import ToolContext, run_tool
    from toolagent.tools.config import ToolConfig
    from toolagent.tools.python_exec import make_tool

    obs = run_tool(make_tool(ToolConfig(enable_python=True)), {"code": "print(1)"}, ToolContext())
    assert obs.ok, obs.error
    return str(obs.data["isolation"])


def _needs(isolation: str, what: str) -> None:
    if what not in isolation:
        pytest.skip(f"this kernel/container gives the python tool no {what} (it has: {isolation})")


def _host(tmp_path: Path, snippet: str, timeout_s: float = 10) -> tuple[dict, str]:
    (tmp_path / "host.py").write_text(HOST)
    (tmp_path / "snippet.py").write_text(textwrap.dedent(snippet))
    env = {**os.environ, "TOOLAGENT_TEST_API_KEY": SECRET, "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, str(tmp_path / "host.py"), str(tmp_path / "snippet.py"), str(timeout_s)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    lines = done.stdout.splitlines()
    result = json.loads(lines[0]) if lines else {}
    return result, done.stdout


def test_no_process_environment_the_snippet_can_read_holds_the_hosts_secret(tmp_path: Path, isolation: str) -> None:
    _needs(isolation, "namespaces")
    result, stdout = _host(tmp_path, f"""
        import os
        hits, readable = [], 0
        for pid in os.listdir('/proc'):
            if pid.isdigit() or pid == 'self':
                try:
                    data = open(f'/proc/{{pid}}/environ', 'rb').read()
                except OSError:
                    continue
                readable += 1
                hits += [pid] if b'{SECRET}' in data else []
        ppid = os.getppid()
        try:
            parent = open(f'/proc/{{ppid}}/environ', 'rb').read()
        except OSError:
            parent = b''
        print('hits', hits, 'readable', readable, 'secret in parent', b'{SECRET}' in parent)
        print('own env has secret', any('{SECRET}' in v for v in os.environ.values()))
    """)
    assert "host alive" in stdout, stdout
    assert result["error"] is None, result
    assert "hits [] " in result["text"] and "secret in parent False" in result["text"], result["text"]
    assert "own env has secret False" in result["text"]


def test_a_detached_process_does_not_outlive_the_time_limit(tmp_path: Path) -> None:
    marker = f"{time.time_ns() % 10**9}.25"
    result, stdout = _host(tmp_path, f"""
        import os, subprocess, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:  # double fork: re-parented away from the snippet
                subprocess.Popen(['sleep', '{marker}'], start_new_session=True)
                os._exit(0)
            os._exit(0)
        time.sleep(0.5)
        print('detached', flush=True)
        time.sleep(60)
    """, timeout_s=3)
    assert "host alive" in stdout and "ran past the 3 s limit" in (result["error"] or ""), stdout
    assert not alive_after_grace(marker)


def test_a_detached_process_does_not_outlive_a_snippet_that_ends(tmp_path: Path) -> None:
    marker = f"{time.time_ns() % 10**9}.75"
    result, stdout = _host(tmp_path, f"""
        import subprocess
        subprocess.Popen(['setsid', 'sleep', '{marker}'])
        print('left it running')
    """)
    assert result["error"] is None and "left it running" in result["text"], stdout
    assert not alive_after_grace(marker)


def test_the_snippet_cannot_kill_the_host(tmp_path: Path, isolation: str) -> None:
    _needs(isolation, "namespaces")
    result, stdout = _host(tmp_path, """
        import os, signal
        tried = []
        pid = os.getpid()
        for _ in range(6):  # walk up the ancestry and kill every ancestor it can see
            try:
                ppid = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                break
            if ppid <= 1:
                break
            try:
                os.kill(ppid, signal.SIGKILL)
                tried.append(ppid)
            except OSError:
                pass
            pid = ppid
        print('killed', tried)
    """)
    assert "host alive" in stdout, stdout


def test_process_count_is_capped(tmp_path: Path, isolation: str) -> None:
    if os.getuid() == 0:  # the kernel does not apply RLIMIT_NPROC to root: only the cgroup caps it
        _needs(isolation, "pids cgroup")
    result, stdout = _host(tmp_path, """
        import os, time
        started = 0
        for _ in range(300):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            started += 1
        print('started', started)
    """, timeout_s=20)
    assert "host alive" in stdout, stdout
    started = int(result["text"].split()[1]) if result.get("text") else -1
    assert 0 < started < 100, result
