"""One version: written once in generator/__init__.py, read from there by the build (pyproject.toml
declares it dynamic), so the installed package's metadata and `itgrix-gen --version` agree."""

from __future__ import annotations

import importlib.metadata
import tomllib

import generator
from tests.conftest import ROOT, cli_here


def test_pyproject_takes_the_version_from_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"], "the version is written in generator/__init__.py only"
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "generator/__init__.py"


def test_installed_metadata_and_version_option_agree():
    installed = importlib.metadata.version("itgrix-gen")
    assert installed == generator.__version__, "reinstall (scripts/install.sh) after changing the version"
    proc = cli_here("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"itgrix-gen {generator.__version__}"
