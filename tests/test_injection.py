"""Hostile spec text: every string-valued field of every section reaches PHP only as an escaped
literal, and comes back byte for byte at run time, with no injected code run.

Each hypothesis example is one hostile text, put through the real path a user takes: written
into a YAML spec file (JSON-style double-quoted scalars), loaded, rendered, linted by phply and
`php -l`, and run by real PHP.  The text mixes arbitrary Unicode with the fragments that break
naive code generators: quotes, backslashes, `$`/`{$…}`, `?>`, `<?php`, `*/`, `#[`, heredoc
markers, CR/LF, NUL and other control characters.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.php.lint import phply_errors
from generator.php.runner import Case, php_lint, run_batch
from generator.speclang.issues import SpecError
from tests.conftest import count, load, render_to

CANARY_DIR = Path("/tmp")

FRAGMENTS = [
    "'",
    '"',
    "\\",
    "\\\\",
    "\\'",
    "$x",
    "{$x}",
    "${x}",
    "?>",
    "<?php",
    "<?",
    "*/",
    "/*",
    "#[",
    "//",
    "#",
    "<<<EOT\n",
    "\nEOT;\n",
    "\r\n",
    "\r",
    "\n",
    "\x00",
    "\x01",
    "\x1b[31m",
    "\x7f",
    "%s",
    "%n",
    "`id`",
    "'); system('id'); //",
    '"; exit; "',
    "\u2028",
    "\u00a0",
    "\ufeff",
    "😀",
    "Ромашка",
    "{{",
    "}}",
    "\t",
    "array(",
    "),",
    "=>",
]


@st.composite
def hostile_text(draw):
    parts = draw(
        st.lists(
            st.one_of(
                st.sampled_from(FRAGMENTS),
                st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
            ),
            min_size=1,
            max_size=8,
        )
    )
    return "".join(parts)


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar for any text: JSON escapes, plus \\u escapes for every
    character YAML does not allow raw (controls, NEL, line/paragraph separators, BOM)."""
    out = []
    for ch in json.dumps(text, ensure_ascii=False)[1:-1]:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029, 0xFEFF) or 0xFFFE <= code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def literal(text: str) -> str:
    """The placeholder-template form of a literal text: braces doubled."""
    return text.replace("{", "{{").replace("}", "}}")


def build_spec(text: str, canary: str) -> str:
    y = yaml_string
    lit = y(literal(text))
    key = y(text if text else "k")
    plain = "".join(ch for ch in text if ch not in "\\$")  # preg_replace gives \\ and $ a meaning
    return "\n".join(
        [
            "version: 1",
            f"name: {y(text)}",
            f"description: {y(text)}",
            "timezone: Europe/Moscow",
            "phones:",
            "  client:",
            "    region: RU",
            "    format: keep",
            f"    rewrite: [{{match: '^.*$', replace: {y(plain)}}}]",
            f"registration_params: {{set: {{CRM_SOURCE: {lit}, {key}: {lit}}}}}",
            f"final_params: {{rules: [{{when: {{status: {y(text)}}}, set: {{STATUS_CODE: {lit}}}}}]}}",
            f"entity: {{set: {{{key}: [{lit}, {{nested: {lit}}}]}}}}",
            f"activity: {{set: {{SUBJECT: {lit}}}}}",
            f"tasks: {{set: {{TITLE: {lit}}}}}",
            f"originate: {{set: {{context: {lit}}}}}",
            f"autodistribution: {{set: {{name: {lit}}}}}",
            f"call_card: {{set: {{NOTE: {lit}}}}}",
            f"record_link: {{description: {lit}, description_type: 1}}",
            f"record: {{rewrite: [{{match: '^/rec/', replace: {y(plain)}}}]}}",
            "",
        ]
    )


def callerid(text: str, limit: int = 20) -> str:
    """What the CallerID name becomes: control characters and double quotes removed, then cut."""
    return "".join(ch for ch in text if ch != '"' and ch != "\x7f" and ord(ch) >= 0x20)[:limit]


@settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=hostile_text())
def test_hostile_text_round_trips(tmp_path_factory, php, text):
    count("hostile spec texts (injection)")
    folder = tmp_path_factory.mktemp("inj")
    canary = CANARY_DIR / f"itgrix-gen-pwned-{uuid.uuid4().hex}"
    spec_path = folder / "spec.yaml"
    spec_path.write_text(build_spec(text + f"'); touch('{canary}'); //", str(canary)), encoding="utf-8")
    text = text + f"'); touch('{canary}'); //"
    loaded = load(spec_path)
    assert loaded.spec.name == text
    paths = render_to(loaded, folder / "out")
    for path in paths.values():
        code = path.read_text(encoding="utf-8")
        assert "\x00" not in code and "\r" not in code
    # phply on whole files is slow (about 40 ms each): a rotating few per example
    for name in sorted(paths)[len(text) % 5 :: 5]:
        assert phply_errors(paths[name].read_text(encoding="utf-8")) is None, name
    assert php_lint(str(paths["customize_activity"]), php) is None
    key = text if text else "k"
    plain = "".join(ch for ch in text if ch not in "\\$")
    inputs = {
        "process_registration_params": {"CRM_SOURCE": "x", "TYPE": 2},
        "process_final_params": {"STATUS_CODE": text, "USER_ID": 1},
        "customize_entity": {"call_full": None},
        "customize_activity": {"call_full": None},
        "process_task_creation_params": {"fields": {"TITLE": "t"}},
        "process_originate_params": {"params": {"context": "c", "extension": "101"}},
        "customize_autodistribution": {"number": "101", "name": "n"},
        "customize_show_call_card": {"CALL_ID": "1", "USER_ID": 1, "call_stage": "conversation_requested"},
        "customize_attach_record_url": {"DESCRIPTION": "d", "DESCRIPTION_TYPE": 1},
        "process_client_phone": {"phone": "+74951234567"},
        "process_record_file_path": {"path": "/rec/a.wav"},
    }
    cases = [Case(str(paths[name]), json.dumps(body, ensure_ascii=False)) for name, body in inputs.items()]
    cases.append(Case(str(paths["process_final_params"]), '"not an object"'))
    *replies, refused = run_batch(cases, php)
    results = dict(zip(inputs, replies))
    for name, result in results.items():
        assert not result.errors and not result.output and not result.crash, (name, result.errors, result.output)
    data = {name: r.reply["data"] for name, r in results.items()}
    assert data["process_registration_params"] == {"CRM_SOURCE": text, "TYPE": 2, key: text} or (
        key == "CRM_SOURCE" and data["process_registration_params"] == {"CRM_SOURCE": text, "TYPE": 2}
    )
    assert data["process_final_params"] == {"STATUS_CODE": text, "USER_ID": 1}
    assert data["customize_entity"] == {key: [text, {"nested": text}]}
    assert data["customize_activity"] == {"SUBJECT": text}
    assert data["process_task_creation_params"] == {"fields": {"TITLE": text}}
    assert data["process_originate_params"] == {"context": text, "extension": "101"}
    assert data["customize_autodistribution"] == {"number": "101", "name": callerid(text)}
    assert data["customize_show_call_card"] == {"CALL_ID": "1", "USER_ID": 1, "NOTE": text}
    assert data["customize_attach_record_url"] == {"DESCRIPTION": text, "DESCRIPTION_TYPE": 1}
    assert data["process_client_phone"] == {"phone": plain}
    assert data["process_record_file_path"] == {"path": plain + "a.wav"}
    # the spec name comes back in the file's own stderr message, byte for byte
    assert refused.log and refused.log[0].startswith(f"itgrix-gen[process_final_params:{text}]: ")
    assert not canary.exists(), "injected code ran"


def test_comment_text_cannot_close_a_comment():
    from generator.php.literals import php_comment_text

    for text in ("*/ echo 1; /*", "?> <?php echo 1;", "a\nb\r\nc", "\x00"):
        out = php_comment_text(text)
        assert "*/" not in out and "?>" not in out and "\n" not in out and "\r" not in out
        assert json.loads(out) == text


def test_a_url_reads_as_written_in_a_comment_and_still_cannot_close_it():
    # Issue 18: every "/" was escaped, so a webhook's URL read "https:\/\/hooks.example.com\/x".
    from generator.php.literals import php_comment_text

    url = "https://hooks.example.com/itgrix?phone=1&x=%2F"
    assert php_comment_text(url) == '"' + url + '"'
    for hostile in (
        "https://a.example/*/x",
        "https://a.example/?>x",
        "https://a.example/\n?>\n*/",
        "http://a/\r\n// x",
    ):
        out = php_comment_text(hostile)
        assert "*/" not in out and "?>" not in out and "\n" not in out and "\r" not in out
        assert json.loads(out) == hostile


EVERY_DELIMITER = "~#%!@;,`|=:/&'\"<>"


def regex_round_trip(texts: list[str], php: str, folder) -> None:
    """Each literal text, escaped for PCRE, must match itself in PHP: the delimiter the generator
    picks never ends a pattern early, whatever characters the pattern holds."""
    from generator.php.literals import php_regex, php_string

    subjects, lines = [], ["<?php", "$ok = array();"]
    for text in texts:
        escaped = "".join(("\\" + ch) if not ch.isalnum() and ord(ch) < 128 else ch for ch in text)
        subjects.append(text)
        lines.append(f"$ok[] = preg_match({php_regex('^' + escaped + '$')}, {php_string(text)});")
    path = folder / "re.php"
    path.write_text("\n".join(lines + ["return $ok;"]), encoding="utf-8")
    result = run_batch([Case(str(path), "{}")], php)[0]
    assert result.clean, result.errors
    assert result.reply == [1] * len(subjects), [t for t, ok in zip(subjects, result.reply or []) if ok != 1]


@settings(max_examples=5, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(
        st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=12),
        min_size=40,
        max_size=40,
    )
)
def test_regex_delimiters_cannot_break_out(texts, php, tmp_path_factory):
    count("regex literals", len(texts))
    regex_round_trip(texts, php, tmp_path_factory.mktemp("re"))


def test_regex_with_every_delimiter(php, tmp_path):
    """Patterns that hold every candidate delimiter: the generator escapes one of them."""
    from generator.php.literals import php_regex, php_string

    every = EVERY_DELIMITER
    regex_round_trip([every, "~", "#~%", every + "\\"], php, tmp_path)
    lines = ["<?php", "$ok = array();"]
    cases = (
        (r"^\Q" + every + r"\E$", every),
        ("^[" + every + "]+$", every),
        (r"^\Q~\E~\Q" + every + r"\E$", "~~" + every),
    )
    for pattern, subject in cases:
        lines.append(f"$ok[] = preg_match({php_regex(pattern)}, {php_string(subject)});")
    path = tmp_path / "quoted.php"
    path.write_text("\n".join(lines + ["return $ok;"]), encoding="utf-8")
    result = run_batch([Case(str(path), "{}")], php)[0]
    assert result.clean and result.reply == [1, 1, 1], (result.errors, result.reply)


def test_a_hostile_webhook_url_stays_in_its_comment(php, tmp_path):
    # The URL is written into the rule's comment as it reads (issue 18): a URL that tries to close
    # the comment or leave PHP mode must still do neither; one that would start a line of its own
    # (a line break) is a spec error.
    canary = CANARY_DIR / f"itgrix-gen-pwned-{uuid.uuid4().hex}"
    spec = tmp_path / "spec.yaml"
    broken = f"https://hooks.example/a*/?> <?php touch('{canary}'); /*\n?>x\r\necho 1;"
    spec.write_text(
        "version: 1\nname: u\npost_registration:\n  webhook:\n    url: " + json.dumps(broken) + "\n", encoding="utf-8"
    )
    with pytest.raises(SpecError, match="url holds a line break"):
        load(spec)
    url = f"https://hooks.example/a*/?> <?php touch('{canary}'); /* ?>x echo 1;"
    spec.write_text(
        "version: 1\nname: u\npost_registration:\n  webhook:\n    url: " + json.dumps(url) + "\n", encoding="utf-8"
    )
    paths = render_to(load(spec), tmp_path / "out")
    code = paths["post_registration"].read_text(encoding="utf-8")
    lines = code.splitlines()
    first = next(i for i, line in enumerate(lines) if "// post_registration.webhook" in line)
    comment = [lines[first]] + [line for line in lines[first + 1 :] if line.strip().startswith("//")][:2]
    assert "https://hooks.example/a*\\/?\\u003e <?php" in comment[0], comment
    assert phply_errors(code) is None
    assert php_lint(str(paths["post_registration"]), php) is None
    result = run_batch([Case(str(paths["post_registration"]), '{"call_stage": "call_ended"}')], php, stub_http=True)[0]
    assert result.clean, (result.errors, result.output)
    assert not canary.exists(), "injected code ran"
