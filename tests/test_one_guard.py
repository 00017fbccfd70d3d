"""A file's helpers sit under ONE `function_exists` guard and take that block's names
(generator/emit/guard.py): files of many specs, two versions of one spec and one file twice share
a PHP process with no "Cannot redeclare function" and each answers as it does alone; two
different blocks never share a name; a rule's value renames no helper."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from generator.cases import discover
from generator.customizations import CUSTOMIZATIONS
from generator.emit.fields import code_only
from generator.emit.guard import HOOKS
from generator.php.runner import PHP_FLAGS, Case, case_request, harness_hooks, harness_path, run_batch
from generator.pipeline import decisions_only, render
from tests.conftest import ROOT, load, load_text, render_to

EXAMPLE = ROOT / "specs" / "example" / "spec.yaml"
# Specs whose files carry helpers the example's carry too (the field reader, the phone parser,
# zones, schedules, calendars), under blocks of their own.
OTHERS = ("kazakhstan", "uzbekistan", "bavaria", "usa", "sections", "conditions")
# The second version of the example: a rule's value (the entry function only) and the client's
# number rewrite (a helper: the blocks of the files that write numbers change).
V2_EDITS = (
    ('extension: ["100", "101"]', 'extension: ["100", "107"]'),
    ("replace: '+$1'}   # numbers dialled", "replace: '00$1'}   # numbers dialled"),
)
GUARD = re.compile(r"^if \(!function_exists\('(\w+)'\)\) \{\n(.*?)^\}\n", re.M | re.S)


def _v2_text() -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in V2_EDITS:
        assert old in text
        text = text.replace(old, new)
    return text


def _blocks(code: str) -> dict[str, str]:
    """A file's helper blocks: guard name -> its inside (the entry function's guards and the
    harness hooks' left out)."""
    hooks = set(harness_hooks().values())
    entries = tuple("itgrix_gen_" + c.name + "_" for c in CUSTOMIZATIONS)
    return {name: inside for name, inside in GUARD.findall(code) if name not in hooks and not name.startswith(entries)}


def _one_process(php: str, cases: list[Case]) -> list[dict]:
    """Every case through the harness in ONE PHP process, in order (run_batch would split files
    that define one entry function apart, and rerun a batch whose process died case by case)."""
    request = json.dumps({"stub_http": True, "hooks": harness_hooks(), "cases": [case_request(c) for c in cases]})
    proc = subprocess.run(
        [php, *PHP_FLAGS, str(harness_path())], input=request, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "redeclare" not in proc.stderr.lower(), proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    assert isinstance(data, list) and len(data) == len(cases)
    return data


def _reply(item: dict) -> object:
    return None if item.get("reply") is None else json.loads(item["reply"])


def _cases(spec: Path, files: dict[str, Path]) -> list[tuple[Case, object]]:
    return [
        (Case(str(files[c.meta.customization]), c.input_json, c.meta.unix_now()), c.expected) for c in discover(spec)
    ]


def test_files_of_many_specs_and_two_versions_share_one_process(tmp_path, php):
    v1 = render_to(decisions_only(load(EXAMPLE)), tmp_path / "v1")
    v2 = render_to(decisions_only(load_text(tmp_path, _v2_text())), tmp_path / "v2")
    v1_cases = _cases(EXAMPLE, v1)
    # Half the customizations from each version: what a process sees during a deploy.
    second = {c.name for c in CUSTOMIZATIONS[1::2]}
    mixed = [
        (
            Case(
                str(v2[Path(case.file).stem]) if Path(case.file).stem in second else case.file,
                case.input_json,
                case.now,
            ),
            want,
        )
        for case, want in v1_cases
    ]
    # What the second version answers, each file in a process of its own.
    alone = run_batch([case for case, _want in mixed], php, stub_http=True)
    mixed = [
        (case, r.reply if case.file.startswith(str(tmp_path / "v2")) else want) for (case, want), r in zip(mixed, alone)
    ]
    plan = list(mixed)
    for name in OTHERS:
        spec = ROOT / "specs" / name / "spec.yaml"
        plan += _cases(spec, render_to(decisions_only(load(spec)), tmp_path / name))
    plan += mixed[:5]  # files included a second time
    # The files really share helpers under different blocks, and some blocks are the same.
    texts = {case.file: Path(case.file).read_text(encoding="utf-8") for case, _want in plan}
    blocks = [(name, inside) for text in texts.values() for name, inside in _blocks(text).items()]
    assert len({name for name, inside in blocks if re.search(r"^    function \w+_collect\(", inside, re.M)}) > 10
    assert len({name for name, _file in blocks}) < len(blocks)
    changed = [
        c
        for c in v1
        if set(_blocks(v1[c].read_text(encoding="utf-8"))) != set(_blocks(v2[c].read_text(encoding="utf-8")))
    ]
    assert changed and second & set(changed)  # the number rewrite is a helper: other block names

    results = _one_process(php, [case for case, _want in plan])
    for (case, want), item in zip(plan, results):
        assert not item["errors"] and item["output"] == "", (case.file, item["errors"])
        assert _reply(item) == want, case.file


def test_two_versions_of_one_file_in_one_process(tmp_path, php):
    # Both versions of every file, one after the other: the second's entry function has the name
    # of the first's (it stays put while rules change: runner.compatible_batches keeps two
    # versions in separate processes), so it answers as the first; what matters here is that
    # the second's helpers (a block of other names where they differ) define without a fatal.
    v1 = render_to(decisions_only(load(EXAMPLE)), tmp_path / "v1")
    v2 = render_to(decisions_only(load_text(tmp_path, _v2_text())), tmp_path / "v2")
    plan = _cases(EXAMPLE, v1)
    plan += [(Case(str(v2[Path(case.file).stem]), case.input_json, case.now), want) for case, want in plan]
    results = _one_process(php, [case for case, _want in plan])
    for (case, want), item in zip(plan, results):
        assert not item["errors"] and item["output"] == "", (case.file, item["errors"])
        assert _reply(item) == want, case.file


def test_the_same_file_twice_in_a_plain_php_process(tmp_path, php):
    # As a connector that includes several files in one process would: no harness, no hook
    # defined first; every file of the example and of its second version, each twice.
    files = [
        *render_to(load(EXAMPLE), tmp_path / "v1").values(),
        *render_to(load_text(tmp_path, _v2_text()), tmp_path / "v2").values(),
    ]
    call = (ROOT / "specs" / "example" / "calls" / "incoming.json").read_text(encoding="utf-8")
    driver = tmp_path / "driver.php"
    driver.write_text(
        "<?php\nforeach (array_slice($argv, 2) as $file) {\n"
        "    for ($i = 0; $i < 2; $i++) {\n"
        "        $params = json_decode(file_get_contents($argv[1]), true);\n"
        '        echo json_encode(include $file), "\\n";\n    }\n}\n',
        encoding="utf-8",
    )
    (tmp_path / "call.json").write_text(call, encoding="utf-8")
    proc = subprocess.run(
        [php, *PHP_FLAGS, str(driver), str(tmp_path / "call.json"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and "PHP " not in proc.stderr, proc.stderr[-3000:]
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(replies) == 2 * len(files)
    for first, again in zip(replies[::2], replies[1::2]):
        assert first == again and first["state"] in ("success", "cancel"), first


def test_a_rule_value_renames_no_helper(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    before = render(load_text(tmp_path, text))
    for old, new in (
        ('extension: ["100", "101"]', 'extension: ["100", "107"]'),
        ("set: {USER_ID: 456}", "set: {USER_ID: 457}"),
        ("# the director's and the secretary's lines", "# the director's line and the secretary's"),
    ):
        after = render(load_text(tmp_path, text.replace(old, new)))
        for name in before:
            defined = re.compile(r"^    function (\w+)\(", re.M)
            assert defined.findall(before[name]) == defined.findall(after[name]), (old, name)


def test_two_blocks_of_one_name_are_the_same_code(tmp_path):
    # Across every spec and the example's second version: one block name, one block of code
    # (comments aside), so the guard that skips a block skips only a copy of what is defined.
    seen: dict[str, str] = {}
    specs = [load(p) for p in sorted((ROOT / "specs").glob("*/spec.yaml"))] + [load_text(tmp_path, _v2_text())]
    for loaded in specs:
        for name, text in render(loaded).items():
            for guard, inside in _blocks(text).items():
                code = code_only(inside)
                assert seen.setdefault(guard, code) == code, (name, guard)
    assert len(seen) > 30


def test_a_file_has_one_helper_guard():
    # Issue 18: a guard per helper cost about 1.5 us per call each (some 215 in the example).
    for name, text in render(load(EXAMPLE)).items():
        guards = [g for g, _inside in GUARD.findall(text)]
        assert len(_blocks(text)) <= 1, name
        assert len(guards) <= 2 + 1 + len(HOOKS), (name, guards)


def test_every_helper_a_file_names_is_defined_in_it():
    # A name written as a string (capture calls the redaction helpers by name) is renamed with
    # the block like a call: else capture with `redact: true` called a function that no file defines.
    defined = re.compile(r"^    function (itgrix_gen_\w+)\(", re.M)
    named = re.compile(r"\bitgrix_gen_[0-9a-f]{8}_\w+")
    for spec in sorted((ROOT / "specs").glob("*/spec.yaml")):
        for name, text in render(load(spec)).items():
            missing = set(named.findall(text)) - set(defined.findall(text))
            assert not missing, (spec.parent.name, name, missing)
