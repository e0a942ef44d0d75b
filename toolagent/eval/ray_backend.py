"""``--backend ray``: spread tasks over a Ray cluster. The driver keeps at most ``workers`` tasks in flight and
writes every row itself as tasks complete, so results.jsonl and resume behave exactly as with threads.

Workers receive the job (JSON) and a task id, rebuild the benchmark once per worker process and resolve the model
spec there (chat models are not shipped over the wire). Without ``--ray-address`` a local cluster is started
with ``workers`` logical CPUs and the driver's working directory on the workers' PYTHONPATH.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from toolagent.errors import ConfigError
from toolagent.eval.job import Bench, EvalJob
from toolagent.eval.registry import make_bench

Row = dict[str, Any]
_BENCHES: dict[str, tuple[Bench, dict[str, Any]]] = {}


def run_remote_task(job_json: str, task_id: str) -> Row:
    """Executed on a Ray worker: build (or reuse) the bench for this job and run one task."""
    if job_json not in _BENCHES:
        bench = make_bench(EvalJob.model_validate_json(job_json))
        _BENCHES[job_json] = (bench, {bench.task_id(t): t for t in bench.tasks()})
    bench, tasks = _BENCHES[job_json]
    return bench.safe_run(tasks[task_id])


def _init(job: EvalJob) -> None:
    import ray

    if ray.is_initialized():
        return
    try:
        if job.ray_address:
            ray.init(address=job.ray_address, log_to_driver=False)
            return
        path = os.pathsep.join(p for p in (os.getcwd(), os.environ.get("PYTHONPATH", "")) if p)
        ray.init(num_cpus=max(1, job.workers), include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": path}})
    except ConnectionError as exc:
        raise ConfigError(f"cannot connect to the Ray cluster at {job.ray_address}: {exc}") from None


def run_ray(job: EvalJob, bench: Bench, tasks: list[Any], on_row: Callable[[Row], None],
            deadline_s: float | None) -> None:
    """Run ``tasks`` on Ray; ``on_row`` is called on the driver for every finished (or timed-out) task."""
    try:
        import ray
    except ImportError:
        raise ConfigError("--backend ray needs ray: pip install 'toolagent[eval]'") from None
    _init(job)
    remote = ray.remote(num_cpus=1, max_retries=0)(run_remote_task)
    job_json = job.model_dump_json()
    pending = list(tasks)
    in_flight: dict[Any, tuple[Any, float]] = {}
    while pending or in_flight:
        while pending and len(in_flight) < max(1, job.workers):
            task = pending.pop(0)
            in_flight[remote.remote(job_json, bench.task_id(task))] = (task, time.monotonic())
        wait = None
        if deadline_s:
            oldest = min(start for _, start in in_flight.values())
            wait = max(0.0, oldest + deadline_s - time.monotonic())
        ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=wait)
        for ref in ready:
            task, _start = in_flight.pop(ref)
            try:
                row = ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - a worker crash becomes an error row
                row = bench.error_row(task, f"ray task failed: {type(exc).__name__}: {str(exc)[:300]}")
            on_row(row)
        if deadline_s:
            now = time.monotonic()
            for ref, (task, start) in list(in_flight.items()):
                if now - start >= deadline_s:
                    del in_flight[ref]
                    ray.cancel(ref, force=True)
                    on_row(bench.error_row(task, f"timed out after {deadline_s:g} s"))
