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


# The spec language, which the customizations build on: its models (types.py, sections.py, spec.py)
# and pieces import nothing of the customizations.  The modules that check and load a whole spec
# (crosschecks.py, loader.py...) ask the customizations' registry which sections have rules, may
# cancel and get which placeholders, so the customizations may not import them.
SPECLANG_CORE = ("types", "sections", "spec", "issues", "placeholders", "days", "yamlfile", "pcre", "merge")
SPECLANG_ASSEMBLY = ("crosschecks", "loader", "validation", "advice", "pyspec")


def _imports(path: Path) -> set[str]:
    """The generator modules a file imports when it runs (imports for type checkers only left out)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {name for name in found if name.startswith("generator.")}


PACKAGE = Path(__file__).resolve().parent.parent / "generator"


def test_the_customizations_build_on_the_spec_language_core_only() -> None:
    for path in sorted((PACKAGE / "customizations").glob("*.py")):
        above = {
            m for m in _imports(path) if m.split(".")[:3] in [["generator", "speclang", a] for a in SPECLANG_ASSEMBLY]
        }
        assert not above, f"{path.name} imports {sorted(above)}: the spec's assembly imports the customizations"


def test_the_spec_language_core_knows_no_customization() -> None:
    for name in SPECLANG_CORE:
        found = _imports(PACKAGE / "speclang" / f"{name}.py")
        assert not {m for m in found if m.startswith("generator.customizations")}, name
        assert not {m for m in found if m.startswith("generator.remote")}, name


def test_the_spec_model_loads_without_any_customization() -> None:
    """Issue 18: speclang and customizations imported each other (spec.py took each section's
    model from its customization's module).  The models are speclang's now: importing the whole
    spec's model loads no customization, and each customization takes its model from speclang."""
    loaded = _modules_after("import generator.speclang.spec")
    assert "generator.speclang.sections" in loaded
    assert not {m for m in loaded if m.startswith("generator.customizations")}
    for name in ("need_registration", "post_registration", "process_originate_params"):
        assert "generator.speclang.sections" in _imports(PACKAGE / "customizations" / f"{name}.py"), name


def test_the_command_line_only_parses_calls_and_prints() -> None:
    """generator/cli.py declares the commands and their options, calls one use case of
    generator/commands/ and exits with its code: the work (and what reaches the remote, deploy
    and capture machinery) lives in the use cases, which tests call without the command line."""
    import ast

    cli = PACKAGE / "cli.py"
    reached = {m for m in _imports(cli) if m != "generator.__version__"}
    outside = {m for m in reached if not m.startswith(("generator.commands", "generator.errors"))}
    assert not outside, f"cli.py imports {sorted(outside)}: call a use case in generator/commands/ instead"
    lines = len(cli.read_text(encoding="utf-8").splitlines())
    assert lines < 450, f"cli.py has {lines} lines: move the work into a use case"
    tree = ast.parse(cli.read_text(encoding="utf-8"))
    commands = [f for f in tree.body if isinstance(f, ast.FunctionDef) and "command" in ast.unparse(f.decorator_list)]
    assert len(commands) >= 15
    for function in commands:
        body = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        assert len(body) <= 4, f"{function.name}: {len(body)} statements; its work belongs in a use case"
