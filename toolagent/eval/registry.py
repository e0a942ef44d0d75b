"""The one place that knows every benchmark: its name, its modes, and the adapter class that runs each.

Adapters are named by import path and loaded on first use, so importing the registry (or ``job``, which takes the
benchmark names from here) imports no benchmark; the benchmark modules import ``job`` and never this module's
callers, so there is no import cycle.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Literal, get_args

from toolagent.errors import BadInput

if TYPE_CHECKING:
    from toolagent.eval.job import Bench, EvalJob

BenchName = Literal["gaia", "gta", "synth"]
Mode = Literal["agent", "step", "e2e"]

#: (benchmark, mode) → "module:Class" of its adapter (a ``job.Bench`` subclass).
ADAPTERS: dict[tuple[str, str], str] = {
    ("gaia", "agent"): "toolagent.eval.gaia_run:GaiaBench",
    ("gta", "step"): "toolagent.eval.gta_step:GtaStepBench",
    ("gta", "e2e"): "toolagent.eval.gta_e2e:GtaE2EBench",
    ("synth", "agent"): "toolagent.eval.synth:SynthBench",
    ("synth", "step"): "toolagent.eval.synth:SynthStepBench",
}

assert {bench for bench, _ in ADAPTERS} == set(get_args(BenchName))


def modes(bench: str) -> list[str]:
    """The modes a benchmark runs in, in registry order."""
    return [mode for name, mode in ADAPTERS if name == bench]


def make_bench(job: EvalJob) -> Bench:
    """The adapter for ``job.bench`` in ``job.mode``; BadInput for a mode the benchmark does not have."""
    target = ADAPTERS.get((job.bench, job.mode))
    if target is None:
        raise BadInput(f"unknown {job.bench} mode {job.mode!r} (expected {' or '.join(modes(job.bench))})")
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(job)
