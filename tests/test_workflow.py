"""CI and consultant workflows: byte-identical output across processes and hash seeds, the
pre-commit hook file, the example CI workflow, batch runs over many specs sharing one base, and
`explain`."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from ruamel.yaml import YAML

from generator.speclang.loader import Loader
from tests.conftest import ROOT, cli_here


def render_digest(seed: str, tmp_path) -> str:
    out = tmp_path / f"o{seed}"
    env = dict(os.environ, PYTHONHASHSEED=seed)
    subprocess.run(
        [sys.executable, "-m", "generator", "render", "specs/", "-o", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    )
    digest = hashlib.sha256()
    files = sorted(p for p in out.rglob("*.php"))
    assert len(files) > 14 * 5
    for path in files:
        digest.update(str(path.relative_to(out)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def test_byte_identical_across_processes_and_hash_seeds(tmp_path):
    assert render_digest("0", tmp_path) == render_digest("12345", tmp_path) == render_digest("random", tmp_path)


def test_precommit_hooks_load_and_commands_exist():
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"itgrix-gen-validate", "itgrix-gen-fresh"}
    for hook in hooks:
        assert hook["language"] == "python" and hook["files"]
        program, *args = hook["entry"].split()
        assert program == "itgrix-gen"
        assert cli_here(*args, "--help").returncode == 0, hook["entry"]
    # the fresh hook really fails on a stale file and passes on a fresh one
    assert cli_here("render", "--check", "specs/example/spec.yaml").returncode == 0


def test_example_ci_workflow_commands_exist():
    workflow = YAML(typ="safe").load((ROOT / "examples" / "github-actions.yml").read_text())
    runs = [step["run"] for step in workflow["jobs"]["specs"]["steps"] if "run" in step]
    commands = [line.split()[1] for run in runs for line in run.splitlines() if line.startswith("itgrix-gen ")]
    assert {"validate", "test", "render"} <= set(commands)
    for command in commands:
        assert cli_here(command, "--help").returncode == 0


def test_shared_base_parsed_once(tmp_path):
    (tmp_path / "base.yaml").write_text("version: 1\nname: base\nphones: {client: {region: RU}}\n")
    for i in range(5):
        folder = tmp_path / f"c{i}"
        folder.mkdir()
        (folder / "spec.yaml").write_text(f"extends: ../base.yaml\nversion: 1\nname: c{i}\n")
    loader = Loader(root=tmp_path)  # the tree that holds the clients and their shared base
    for i in range(5):
        assert loader.load(tmp_path / f"c{i}" / "spec.yaml").spec.phones.client.region == "RU"
    assert loader.reads == 6, "five clients and one base"


def test_batch_render_counts_and_continues(tmp_path):
    for i in range(6):
        folder = tmp_path / f"client{i}"
        folder.mkdir()
        body = f"version: 1\nname: client{i}\n" + ("bogus: 1\n" if i == 3 else "")
        (folder / "spec.yaml").write_text(body)
    proc = cli_here("render", str(tmp_path), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "client3" in proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"client{i}" for i in range(6) if i != 3]
    assert "5 rendered, 1 failed" in proc.stderr


def test_explain_example():
    proc = cli_here("explain", "specs/example/spec.yaml")
    assert proc.returncode == 0
    text = proc.stdout
    assert text.startswith("# What the Itgrix customizations do for `example`")
    assert "Calls are **not registered** when an employee's extension is one of `100` or `101`." in text
    assert "When the trunk (number or name) is `88007654321` and the call status is `304`: `USER_ID` = `456`." in text
    assert "the time is within 19:00–09:00 (Europe/Moscow time, when the call started)" in text
    assert "## To switch on" in text


def test_explain_passthrough_and_hostile(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text('version: 1\nname: "x`y\\n# injected"\nentity: {set: {"a`b": "c``d"}}\n')
    proc = cli_here("explain", str(spec))
    assert proc.returncode == 0, proc.stderr
    headings = [line for line in proc.stdout.splitlines() if line.startswith("#")]
    assert all(not h.startswith("# injected") for h in headings)
    assert "these pass the connector's data through untouched" in proc.stdout
