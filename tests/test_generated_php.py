"""Every generated file of every spec: phply parses it (PHP-5-era syntax only), `php -l` accepts
it, it follows the connector's contract, and rendering is deterministic."""

from __future__ import annotations

import re

import pytest

from generator.customizations import CUSTOMIZATIONS
from generator.php.lint import phply_errors
from generator.php.runner import php_lint
from generator.pipeline import render_files
from generator.speclang.loader import from_model
from generator.speclang.spec import Spec
from tests.conftest import SPECS, cli_here, load, render_to

RENDERED = [(spec, f) for spec in SPECS for f in render_files(load(spec))]


@pytest.mark.parametrize("spec,file", RENDERED, ids=[f"{s.parent.name}/{f.filename}" for s, f in RENDERED])
def test_phply_parses(spec, file):
    assert phply_errors(file.content) is None


def test_php_lint_all(tmp_path, php):
    for spec in SPECS:
        paths = render_to(load(spec), tmp_path / spec.parent.name)
        for name, path in paths.items():
            assert php_lint(str(path), php) is None, f"{spec.parent.name}/{name}"


def _tokens(code: str):
    from phply import phplex

    lexer = phplex.lexer.clone()
    lexer.input(code)
    while True:
        token = lexer.token()
        if token is None:
            return
        yield token


# Token types and called functions a generated file must never contain: output, process exit,
# globals, classes (could clash), code evaluation.
FORBIDDEN_TOKENS = {
    "ECHO",
    "PRINT",
    "EXIT",
    "GLOBAL",
    "CLASS",
    "INTERFACE",
    "EVAL",
    "INLINE_HTML",
    "CLOSE_TAG",
    "INCLUDE",
    "INCLUDE_ONCE",
    "REQUIRE",
    "REQUIRE_ONCE",
    "HALT_COMPILER",
}
FORBIDDEN_CALLS = {
    "var_dump",
    "print_r",
    "printf",
    "vprintf",
    "fpassthru",
    "readfile",
    "passthru",
    "system",
    "exec",
    "shell_exec",
    "assert",
    "create_function",
    "set_error_handler",
    "error_reporting",
    "ini_set_all",
    "ob_start",
    "header",
    "date_default_timezone_set",
    "define",
    "extract",
}


@pytest.mark.parametrize("spec,file", RENDERED, ids=[f"{s.parent.name}/{f.filename}" for s, f in RENDERED])
def test_contract_shape(spec, file):
    code = file.content
    assert code.startswith("<?php\n")
    tokens = list(_tokens(code))
    for i, token in enumerate(tokens):
        assert token.type not in FORBIDDEN_TOKENS, f"{token.type} at line {token.lineno}"
        if token.type == "STRING" and token.value.lower() in FORBIDDEN_CALLS:
            following = [t for t in tokens[i + 1 : i + 3] if t.type != "WHITESPACE"]
            assert not following or following[0].type != "LPAREN", f"{token.value}() at line {token.lineno}"
        if token.type == "VARIABLE":
            assert token.value != "$GLOBALS", f"$GLOBALS at line {token.lineno}"
    # every function carries the project prefix and sits in a guard that asks for one of its
    # block's functions; the helpers of one block share that block's hash (a file's one guard)
    guards = re.findall(r"^if \(!function_exists\('(\w+)'\)\) \{\n(.*?)^\}\n", code, re.M | re.S)
    names = re.findall(r"^\s*function (\w+)\(", code, re.M)
    assert sorted(names) == sorted(
        n for _guard, inner in guards for n in re.findall(r"^    function (\w+)\(", inner, re.M)
    )
    for guard, inner in guards:
        defined = re.findall(r"^    function (\w+)\(", inner, re.M)
        assert guard in defined and all(n.startswith("itgrix_gen_") for n in defined), (guard, defined)
        if len(defined) > 1:
            assert all(n.startswith(guard[: len("itgrix_gen_12345678_")]) for n in defined), defined
    # The last line answers: the entry function, called directly or (a file that matches patterns)
    # through answer(), which runs it with PCRE's JIT off.
    assert re.search(
        r"\nreturn itgrix_gen_\w+\((?:'itgrix_gen_\w+', )?isset\(\$params\) \? \$params : null\);$", code.rstrip()
    )
    assert re.search(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d", code.split("*/")[0]) is None, "no timestamp in header"


def test_empty_spec_is_passthrough_everywhere():
    files = render_files(from_model(Spec(version=1, name="x")))
    assert len(files) == len(CUSTOMIZATIONS) == len({f.filename for f in files})
    assert {f.customization.name for f in files} == {c.name for c in CUSTOMIZATIONS}
    assert not any(f.customized for f in files)


def test_render_is_deterministic():
    spec = next(s for s in SPECS if s.parent.name == "example")
    first = [f.content for f in render_files(load(spec))]
    second = [f.content for f in render_files(load(spec))]
    assert first == second


def test_files_can_share_one_process(tmp_path, php):
    """The customizer may include several files (or one file many times) in one PHP process."""
    from generator.php.runner import Case, run_batch

    spec = next(s for s in SPECS if s.parent.name == "example")
    paths = render_to(load(spec), tmp_path)
    cases = [Case(str(p), '{"call_full": null}') for p in paths.values()] * 2
    results = run_batch(cases, php)
    assert all(r.clean for r in results), [r.errors for r in results]
    n = len(paths)
    assert results[:n] == results[n:] or [r.reply_json for r in results[:n]] == [r.reply_json for r in results[n:]]


def test_phply_rejects_php7_syntax():
    for code in (
        "<?php $a = $b ?? 1;",
        "<?php $f = fn($x) => $x;",
        "<?php function f(int $x): int { return $x; }",
        "<?php $a = [1, 2];",
        "<?php $x = f()[0];",
        "<?php $a = $b <=> $c;",
    ):
        assert phply_errors(code) is not None, code
    assert phply_errors("<?php $a = array(1, 2); $b = $a[0];") is None


def test_injected_php7_template_is_caught(tmp_path, monkeypatch):
    """A template edited to use PHP 7 syntax fails the check that render runs before writing."""
    import shutil

    from generator.emit import templates
    from generator.pipeline import CheckFailed, checked

    broken = tmp_path / "templates"
    shutil.copytree(templates.templates_dir(), broken)
    target = broken / "_base.php.j2"
    text = target.read_text()
    assert "$fallback = {{ passthrough }};" in text
    target.write_text(text.replace("$fallback = {{ passthrough }};", "$fallback = {{ passthrough }} ?? null;", 1))
    monkeypatch.setattr(templates, "templates_dir", lambda: broken)
    monkeypatch.setenv("ITGRIX_GEN_NO_CACHE", "1")
    templates.environment.cache_clear()
    try:
        spec = next(s for s in SPECS if s.parent.name == "example")
        with pytest.raises(CheckFailed) as failure:
            checked(load(spec))
        assert "need_registration.php" in str(failure.value)
        proc = cli_here("render", str(spec), "-o", str(tmp_path / "out"))
        assert proc.returncode == 2 and "failed the syntax check" in proc.stderr
        assert not (tmp_path / "out").exists(), "nothing written"
    finally:
        templates.environment.cache_clear()


def test_templates_cannot_print_raw_values():
    import jinja2

    from generator.emit.templates import UnsafeTemplateValue, environment

    template = environment().from_string("{{ value }}")
    with pytest.raises(UnsafeTemplateValue):
        template.render(value="'); system('id'); //")
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ missing }}").render()
