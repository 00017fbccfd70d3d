"""scripts/system-deps.sh (run by scripts/install.sh): installs a system package only when it is
missing, says why before it does, and does not stop the install when an optional one (PHP's curl
extension) cannot be had: the generated files send webhooks through sockets without it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "system-deps.sh"


def fake_system(tmp_path: Path, php: str | None, apt_works: bool) -> Path:
    """A PATH with only what the script may use: bash, id, ssh, sshd, chromium, and the given php/apt-get."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "id"):
        found = subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
        (bin_dir / tool).symlink_to(found)
    scripts = {"ssh": "exit 0", "sshd": "exit 0", "chromium": "exit 0"}
    if php is not None:
        scripts["php"] = php
    calls = tmp_path / "apt-calls"
    scripts["apt-get"] = f'echo "$@" >> {calls}\n' + ("exit 0" if apt_works else "exit 100")
    for name, body in scripts.items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body + "\n")
        (bin_dir / name).chmod(0o755)
    return bin_dir


def run(bin_dir: Path) -> subprocess.CompletedProcess:
    env = {"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/root")}
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)


def test_nothing_is_installed_when_everything_is_there(tmp_path):
    bin_dir = fake_system(tmp_path, php="exit 0", apt_works=True)
    proc = run(bin_dir)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "apt-calls").exists() and proc.stdout == ""


def test_curl_is_installed_saying_why(tmp_path):
    bin_dir = fake_system(tmp_path, php="exit 1", apt_works=True)  # php runs, but has no curl
    proc = run(bin_dir)
    assert proc.returncode == 0, proc.stderr
    assert "installing php-curl" in proc.stdout and "optional" in proc.stdout and "sockets" in proc.stdout
    assert "install -y -qq php-curl" in (tmp_path / "apt-calls").read_text()


def test_curl_that_cannot_be_installed_does_not_stop_the_install(tmp_path):
    bin_dir = fake_system(tmp_path, php="exit 1", apt_works=False)
    proc = run(bin_dir)
    assert proc.returncode == 0, proc.stderr
    assert "warning: could not install php-curl" in proc.stderr and "sockets" in proc.stderr


def test_missing_php_that_cannot_be_installed_is_an_error(tmp_path):
    bin_dir = fake_system(tmp_path, php=None, apt_works=False)
    proc = run(bin_dir)
    assert proc.returncode == 1
    assert "could not install PHP's command line" in proc.stderr
