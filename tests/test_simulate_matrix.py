"""The scenarios of the example, Kazakhstan and Belarus specs on every PHP of the matrix from each
spec's `php:` floor up.  The walk is decided on native php; every customization call it made then
runs on each version in ONE process, and each reply must be the native one (and clean): with the
same replies the walk, its requests and its expectations are the same on that version."""

from __future__ import annotations

import json

import pytest

from generator.php import specfiles
from generator.php.matrix import VERSIONS, run_version, versions_for
from generator.php.runner import Case
from generator.php.specfiles import write_rendered
from generator.simulate import scenarios_for, simulate
from tests.conftest import ROOT, count, load

SPECS = ("example", "kazakhstan", "belarus")


@pytest.fixture(scope="module")
def walked(tmp_path_factory, php):
    """(spec's php floor, label, Case, native reply) of every customization call of every scenario."""
    root = tmp_path_factory.mktemp("simulated")
    calls = []
    for name in SPECS:
        loaded = load(ROOT / "specs" / name / "spec.yaml")
        folder = root / name
        folder.mkdir()
        paths = write_rendered(specfiles.decisions(loaded), folder)
        for timeline in simulate(loaded, scenarios_for(loaded, []), php).timelines:
            assert timeline.passed, (timeline.item.label, timeline.failures, timeline.problems)
            for row in timeline.rows:
                if row.customization is None:
                    continue
                case = Case(
                    str(paths[row.customization]), json.dumps(row.input, ensure_ascii=False), int(row.t.timestamp())
                )
                label = f"{name}/{timeline.item.scenario.name}/{row.stage}/{row.customization}"
                calls.append((loaded.spec.php, label, case, row.answer))
    return calls


@pytest.mark.parametrize("version", [v for v in VERSIONS if v != "native"])
def test_scenarios_on_every_php(version, walked, php):
    # The versions `test --php-matrix` runs a spec on: from its floor up, and 5.2 for a 5.x floor.
    mine = [c for c in walked if version in versions_for(c[0])]
    if not mine:
        pytest.skip(f"no spec here runs on PHP {version} (their php: floors are higher)")
    results = run_version(version, [c[2] for c in mine], php)
    count(f"simulated calls on PHP {version}", len(mine))
    problems = []
    for (_floor, label, _case, native), result in zip(mine, results, strict=True):
        if result.crash or result.errors or result.output:
            problems.append(f"{label}: {result.crash or result.errors or result.output!r}")
        elif result.reply != native:
            problems.append(
                f"{label}: {result.reply_json} differs from native {json.dumps(native, ensure_ascii=False)}"
            )
    assert not problems, f"PHP {version}: {len(problems)} of {len(mine)}:\n" + "\n".join(problems[:20])


def test_php52_reply_larger_than_a_pipe_buffer(tmp_path, php):
    """The 5.2 runner wrote its reply and exited at once, which cut a reply over 64 KiB (a pipe's
    buffer): a batch of scenarios' calls (or a golden case with a long webhook log) came back as
    'timed out'."""
    big = tmp_path / "big.php"
    big.write_text("<?php return array('state' => 'success', 'data' => array('x' => str_repeat('a', 200000)));\n")
    (result,) = run_version("5.2", [Case(str(big), "{}", None)], php)
    assert result.crash is None and len(result.reply["data"]["x"]) == 200000
