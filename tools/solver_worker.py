"""The solver's worker process: ``python -m toolagent.tools.solver_worker MEMORY_MB``.

Reads one JSON payload per line on stdin and writes one JSON result per line on stdout, until stdin closes.
It runs as a module in a process of its own, so the caller's script is never re-imported (multiprocessing's
spawn and forkserver re-execute an unguarded ``__main__``), and its address space is capped at MEMORY_MB so
a runaway expansion ends as an error instead of taking the host's memory.
"""

from __future__ import annotations

import json
import resource
import sys


def main(argv: list[str]) -> int:
    memory_mb = int(argv[1]) if len(argv) > 1 else 2048
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from toolagent.tools.solver import work

    channel, sys.stdout = sys.stdout, sys.stderr  # nothing printed during the work can corrupt the replies
    for line in sys.stdin:
        try:
            result = work(json.loads(line))
        except MemoryError:
            result = {"error": f"the solver ran out of memory (limit {memory_mb} MB)"}
        except BaseException as exc:  # noqa: BLE001 - report anything as one line
            result = {"error": f"solver failed: {type(exc).__name__}: {exc}"[:400]}
        channel.write(json.dumps(result) + "\n")
        channel.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
