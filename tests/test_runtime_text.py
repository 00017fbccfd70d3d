"""Text as real call data holds it, through the generated PHP on every PHP of the matrix: Russian,
Kazakh, Uzbek (Latin and Cyrillic) and German names, emoji, and stray bytes that are not UTF-8.
Valid UTF-8 must reach a webhook's body untouched; only the invalid bytes become U+FFFD; and the
clean-up is linear (a multi-megabyte text must never hold a call)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from generator.php.matrix import VERSIONS, run_version
from generator.php.runner import PHP_FLAGS, Case
from tests.conftest import load_text, render_to

NAMES = [
    "ООО «Ромашка»",
    "Әсел Қасымова әғқңөұүһі",
    "Oʻktam Gʻulomov oʻ gʻ",
    "Ўктам Ғуломов ўқғҳ",
    "Jürgen Müller-Lüdenscheidt Straße",
    "Café 😀🎉 𝄞",
]
# PHP string literals (double-quoted) holding bytes that are not UTF-8, and what must arrive.
INVALID = [
    ('"caf\\xe9 \\xff"', "caf\ufffd \ufffd"),
    ('"\\xd0\\x9e\\xd0"', "О\ufffd"),  # a Cyrillic letter, then a cut one
    ('"a\\xf0\\x9f\\x98"', "a\ufffd\ufffd\ufffd"),  # an emoji cut short
    ('"\\xed\\xa0\\x80x"', "\ufffd\ufffd\ufffdx"),  # a surrogate (CESU-8)
    ('"\\xc0\\xaf\\xd0\\x96"', "\ufffd\ufffdЖ"),  # an overlong "/" and a valid letter
]


def php_text(text: str) -> str:
    """A Python text as a PHP double-quoted literal (every byte escaped)."""
    return '"' + "".join(f"\\x{b:02x}" for b in text.encode("utf-8")) + '"'


def with_params(generated: Path, php_params: str, into: Path) -> Path:
    """The generated file, with $params set by PHP code first (bytes JSON cannot carry), as the
    connector would pass them."""
    into.write_text(f"<?php $params = {php_params}; ?>" + generated.read_text(encoding="utf-8"), encoding="utf-8")
    return into


def hook_files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for kind, extra in (
        ("default", ""),
        ("json", '    json: {company: "{entity.name}", agent: "{user.name}", fixed: 1}\n'),
    ):
        text = f'version: 1\nname: hook-{kind}\npost_registration:\n  webhook:\n    url: "http://127.0.0.1:9/hook"\n{extra}'
        folder = tmp_path / kind
        out[kind] = render_to(load_text(tmp_path, text, f"{kind}.yaml"), folder)["post_registration"]
    return out


def call_params(entity: str, user: str) -> str:
    return (
        "array('call_stage' => 'call_ended', 'call_full' => array('channel' => array('type' => 'incoming', "
        f"'from' => array('number' => '+77011234567', 'name' => {user})), 'entity' => array('name' => {entity}), "
        f"'conversations' => array('1.1' => array('user' => array('name' => {user}, 'id' => 5)))))"
    )


def sent_body(result) -> object:
    bodies = [line.split(" ", 4)[4] for line in result.log if line.startswith("http stub: POST ")]
    assert len(bodies) == 1, (result.log, result.errors, result.crash)
    return json.loads(bodies[0])


@pytest.fixture(scope="module")
def text_cases(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("text")
    files = hook_files(tmp_path)
    cases, expected = [], []
    pairs = [(php_text(n), n) for n in NAMES] + INVALID
    for kind, generated in files.items():
        for i, (entity_php, entity) in enumerate(pairs):
            user_php, user = pairs[(i + 1) % len(pairs)]
            path = with_params(generated, call_params(entity_php, user_php), tmp_path / f"{kind}-{i}.php")
            cases.append(Case(str(path), "{}", 1764000000))
            expected.append((kind, entity, user))
    return cases, expected


@pytest.mark.parametrize("version", VERSIONS)
def test_webhook_body_keeps_valid_utf8_and_mends_only_invalid_bytes(version, text_cases, php):
    cases, expected = text_cases
    results = run_version(version, cases, php)
    for (kind, entity, user), result in zip(expected, results):
        assert result.clean, (version, kind, entity, result.errors, result.crash)
        assert not [line for line in result.log if "not sent" in line], (version, kind, entity, result.log)
        body = sent_body(result)
        if kind == "json":
            assert body == {"company": entity, "agent": user, "fixed": 1}, (version, entity)
        else:
            assert body["call_full"]["entity"]["name"] == entity, (version, entity)
            assert body["call_full"]["channel"]["from"]["name"] == user, (version, user)
            assert body["call_full"]["conversations"]["1.1"]["user"]["name"] == user


def clean_script(tmp_path: Path, make: str) -> Path:
    """A PHP script that runs the runtime's itgrix_rt_utf8_clean (as generated) on a text `make`
    builds and prints: seconds taken, whether the text came back unchanged, the result's JSON
    length."""
    from generator.emit.runtime import runtime

    rt = runtime()
    helpers = rt.emit(rt.closure(rt.fn("utf8_clean") + "("))
    script = tmp_path / "clean.php"
    script.write_text(
        "<?php\n"
        + helpers
        + f"$text = {make};\n$t = microtime(true);\n$out = {rt.fn('utf8_clean')}($text);\n"
        + "$s = microtime(true) - $t;\n$json = json_encode($out);\n"
        + 'echo json_encode(array($s, $out === $text, $json === false ? -1 : strlen($json))), "\\n";\n',
        encoding="utf-8",
    )
    return script


@pytest.mark.parametrize(
    "make, unchanged",
    [
        ("str_repeat(" + php_text("ООО «Ромашка» әғқ oʻ ўқ Müller 😀 ") + ", 40000)", True),  # ~2 MB, valid
        ("str_repeat(" + php_text("Ромашка") + ' . "\\xff" . ' + php_text("😀 ") + ", 100000)", False),  # stray
        ('str_repeat("caf\\xe9 ", 400000)', False),  # ~2 MB of Latin-1: every fifth byte invalid
    ],
)
def test_utf8_clean_of_megabytes_is_linear(tmp_path, php, make, unchanged):
    """2 MB of text through the clean-up.  The old regex rescanned from every byte: 100 KB took
    2.6 s and 2 MB a quarter of an hour.  The bound here only guards against that (it holds on a
    loaded machine by two orders of magnitude); the real check is that the result is right."""
    script = clean_script(tmp_path, make)
    started = time.monotonic()
    proc = subprocess.run([php, *PHP_FLAGS, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    seconds, same, json_length = json.loads(proc.stdout)
    assert same is unchanged
    assert json_length > 0, "the cleaned text must encode"
    assert seconds < 20 and time.monotonic() - started < 60, f"{seconds:.1f} s for 2 MB"
