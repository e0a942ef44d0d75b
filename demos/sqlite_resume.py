"""A SQLite-checkpointed run that dies mid-way and resumes from its last checkpoint in a new process.

A worker process starts the run with a SqliteSaver; right after its first tool step executes (before the step's
results are checkpointed) the worker is killed with SIGKILL. The main process then opens the same database,
inspects the thread (the forecast is there, the tools node is next), and resumes: only the unfinished step runs
again; the first forecast is not re-planned.

    python demos/sqlite_resume.py
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import TOTAL, draw_receipt, parser
from langchain_core.messages import BaseMessage
from scripted_planners import receipt_policy

from toolagent import create_tracer1_agent, result_of
from toolagent.models.scripted import ScriptedChatModel

THREAD = {"configurable": {"thread_id": "receipt-1"}}
QUESTION = "What is the total of this receipt?"


def build(db: Path, calls: list[str], model: str | None, feedback: Any = None) -> Any:
    from langgraph.checkpoint.sqlite import SqliteSaver

    def counting_policy(messages: Sequence[BaseMessage]) -> str:  # counts planner turns
        calls.append("plan")
        return receipt_policy(messages)

    saver = SqliteSaver(sqlite3.connect(db, check_same_thread=False))
    return create_tracer1_agent(model or ScriptedChatModel(policy=counting_policy), ["ocr", "calculator"],
                                checkpointer=saver, feedback=feedback)


def worker(db: Path, image: Path, model: str | None) -> None:
    def die(record: object) -> None:  # the machine goes down right after the first tool ran
        print(f"worker: executed {record.executed.tool}; now killed (SIGKILL)", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    build(db, [], model, feedback=die).invoke({"question": QUESTION, "images": [str(image)]}, THREAD)


def main() -> int:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--worker", nargs=2, metavar=("DB", "IMAGE"), help=argparse.SUPPRESS)
    args = cli.parse_args()
    if args.worker:
        worker(Path(args.worker[0]), Path(args.worker[1]), args.model)
        return 3  # not reached: the worker is killed

    folder = Path(tempfile.mkdtemp(prefix="toolagent-demo-"))
    db, image = folder / "checkpoints.sqlite", draw_receipt(folder)
    command = [sys.executable, __file__, "--worker", str(db), str(image)]
    if args.model:
        command += ["--model", args.model]
    child = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    print(child.stdout.strip())
    print(f"worker exit status: {child.returncode} (killed by signal {-child.returncode})")

    calls: list[str] = []
    agent = build(db, calls, args.model)
    snapshot = agent.get_state(THREAD)
    forecasts = snapshot.values.get("forecasts") or []
    print(f"checkpoint: next node {snapshot.next}, {len(forecasts)} forecast(s) saved, "
          f"steps done {len(snapshot.values.get('steps') or [])}")
    result = result_of(agent.invoke(None, THREAD))  # None = continue the thread from its checkpoint
    print(f"resumed: {result.status}, answer {result.answer}; executed "
          f"{[s.executed.tool for s in result.steps]}; planner turns after the restart: {len(calls)}")
    if args.model:
        return 0
    return 0 if (child.returncode == -signal.SIGKILL and snapshot.next == ("tools",) and result.answer == TOTAL
                 and len(calls) == 2) else 1


if __name__ == "__main__":
    sys.exit(main())
