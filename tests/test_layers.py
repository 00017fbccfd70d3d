"""The layers stay apart: the spec language does not reach into the deploy machinery."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def _modules_after(code: str) -> set[str]:
    """The generator.* modules a fresh interpreter holds after running `code`."""
    script = code + "\nimport sys\nprint('\\n'.join(m for m in sys.modules if m.startswith('generator')))\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_a_spec_with_deploy_targets_loads_without_the_remote_layer(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        textwrap.dedent(
            """\
            version: 1
            name: layers
            deploy:
              to:
                - ssh://pbx1/opt/itgrix_bx/customizer/actions
                - /srv/connector
            """
        ),
        encoding="utf-8",
    )
    loaded = _modules_after(
        f"from pathlib import Path\nfrom generator.speclang.loader import Loader\nLoader(None).load(Path({str(spec)!r}))"
    )
    assert "generator.target" in loaded  # deploy.to was checked ...
    assert not {m for m in loaded if m.startswith("generator.remote")}  # ... without SSH code
