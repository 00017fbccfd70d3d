"""The render cache makes `render --check` of unchanged specs cheap; it must never say "fresh"
when a full render would not: a generated file edited, a base spec changed, a file missing."""

from __future__ import annotations

import pytest

from tests.conftest import cli_here


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "base.yaml").write_text("version: 1\nname: base\nregistration: {default: skip}\n")
    (tmp_path / "spec.yaml").write_text("extends: base.yaml\nversion: 1\nname: acme\n")
    assert cli_here("render", "spec.yaml", cwd=tmp_path).returncode == 0
    assert cli_here("render", "spec.yaml", "--check", cwd=tmp_path).returncode == 0
    assert list((tmp_path / "cache" / "itgrix-gen" / "renders").rglob("*")), "an entry was stored"
    return tmp_path


def test_edited_output_is_stale(tree):
    target = tree / "out" / "acme" / "need_registration.php"
    target.write_text(target.read_text() + "// edit\n")
    proc = cli_here("render", "spec.yaml", "--check", cwd=tree)
    assert proc.returncode == 1 and "need_registration.php" in proc.stderr


def test_changed_base_is_seen(tree):
    (tree / "base.yaml").write_text("version: 1\nname: base\nregistration: {default: register}\n")
    proc = cli_here("render", "spec.yaml", "--check", cwd=tree)
    assert proc.returncode == 1 and "need_registration.php" in proc.stderr


def test_missing_output_is_stale(tree):
    (tree / "out" / "acme" / "post_registration.php").unlink()
    proc = cli_here("render", "spec.yaml", "--check", cwd=tree)
    assert proc.returncode == 1 and "missing" in proc.stderr


def test_broken_cache_entry_is_ignored(tree):
    for entry in (tree / "cache" / "itgrix-gen" / "renders").rglob("*"):
        if entry.is_file():
            entry.write_text("{not json")
    assert cli_here("render", "spec.yaml", "--check", cwd=tree).returncode == 0


@pytest.mark.parametrize("package", ["phonenumbers", "holidays", "tzdata"])
def test_an_upgraded_data_package_is_a_miss(tree, monkeypatch, package):
    """The numbering plans, holidays and zone offsets are written into the files: after an upgrade
    `render --check` must render again, not answer from the cache."""
    from generator import rendercache

    spec = tree / "spec.yaml"
    monkeypatch.chdir(tree)
    assert rendercache.lookup(spec, None, False, None) is not None, "the fixture's render is cached"
    real = rendercache.metadata.version
    monkeypatch.setattr(rendercache.metadata, "version", lambda name: "999.0" if name == package else real(name))
    rendercache.data_versions.cache_clear()
    try:
        assert rendercache.lookup(spec, None, False, None) is None
    finally:
        rendercache.data_versions.cache_clear()


def test_new_zone_data_of_the_system_is_a_miss(tree, monkeypatch):
    from generator import rendercache

    spec = tree / "spec.yaml"
    monkeypatch.chdir(tree)
    assert rendercache.lookup(spec, None, False, None) is not None
    zones = tree / "zoneinfo"
    zones.mkdir()
    (zones / "tzdata.zi").write_text("# version 2099z\n")
    monkeypatch.setattr(rendercache.zoneinfo, "TZPATH", (str(zones),))
    rendercache.data_versions.cache_clear()
    try:
        assert rendercache.lookup(spec, None, False, None) is None
    finally:
        rendercache.data_versions.cache_clear()
