"""The call simulator: a scenario (a call in people's terms) walked through the connector's flow
table with the spec's real generated PHP (scenario.py, flow.py, expand.py, runner.py, expect.py,
timeline.py, compare.py)."""

from __future__ import annotations

from pathlib import Path

from generator.simulate.runner import Run, simulate
from generator.simulate.scenario import LoadedScenario, discover, load_all
from generator.speclang.loader import LoadedSpec

__all__ = ["LoadedScenario", "Run", "scenarios_for", "simulate"]


def scenarios_for(loaded: LoadedSpec, paths: list[Path]) -> list[LoadedScenario]:
    """The scenarios named (files or folders), or the spec's own scenarios/ when none is named."""
    return load_all(paths or discover(loaded.path))
