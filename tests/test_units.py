"""Unit tests of the pieces every render relies on: the literals module and its checker, the
placeholder parser, the `extends` merge, the condition compiler and the backtracking guard."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.php.lint import check_literal
from generator.php.literals import LiteralError, php_pretty, php_string, php_value
from generator.speclang import placeholders
from generator.speclang.merge import merge
from generator.speclang.pcre import backtracking_risk, newer_syntax

# --- literals ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**62), 2**62)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, derandomize=True)
@given(json_values)
def test_every_literal_is_one_constant_expression(value):
    assert check_literal(php_value(value)) is None
    assert check_literal(php_pretty(value)) is None
    # Only layout differs: narrow, with a map's short members packed into rows, it is the same value.
    packed = php_pretty(value, width=20, pack=40)
    assert check_literal(packed) is None
    one_line = re.sub(r",\n *\)", ")", re.sub(r"\(\n *", "(", packed))
    assert re.sub(r",\n *", ", ", one_line) == php_value(value)


@pytest.mark.parametrize("text", ["$x", "{$x}", "f()", "'a' . 'b'", "array(1, 2) + array()", '"$a"', "`id`"])
def test_the_literal_checker_refuses_code(text):
    assert check_literal(text) is not None


@pytest.mark.parametrize(
    "value,expected",
    [
        ("it's", "'it\\'s'"),
        ("a\\b", "'a\\\\b'"),
        ("$x", "'$x'"),
        ("a\nb", '"a\\x0ab"'),
        ("\x00$", '"\\x00\\$"'),
    ],
)
def test_string_literals(value, expected):
    assert php_string(value) == expected


@pytest.mark.parametrize("value", [float("nan"), 2**64, "\ud800", object()])
def test_values_without_a_safe_literal_are_refused(value):
    with pytest.raises(LiteralError):
        php_value(value)


# --- placeholders -------------------------------------------------------------------------


def test_placeholder_parsing():
    parts = placeholders.parse("Call {direction} from {client_phone} on {call_full.channel.trunk.number} {{x}}")
    names = [p.name for p in parts if not isinstance(p, str)]
    assert names == ["direction", "client_phone", "call_full.channel.trunk.number"]
    assert parts[-1].endswith("{x}")
    assert [p.path for p in parts if not isinstance(p, str)][2] == ("call_full", "channel", "trunk", "number")


@pytest.mark.parametrize(
    "text,words",
    [
        ("{nope}", "unknown placeholder"),
        ("{", "unclosed"),
        ("}", "lone"),
        ('{"a": 1}', "literal braces"),
        ("{call_full.}", "invalid path"),
        ("{clent_phone}", "did you mean '{client_phone}'"),
    ],
)
def test_placeholder_mistakes(text, words):
    with pytest.raises(placeholders.TemplateError) as error:
        placeholders.parse(text)
    assert words in str(error.value)


# --- extends merge ---------------------------------------------------------------------------


def test_merge_maps_key_by_key_lists_replaced_null_removes():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": {"k": 1}}
    base_pos = {
        ("a",): ("base.yaml", 1, 1),
        ("a", "x"): ("base.yaml", 2, 3),
        ("a", "y"): ("base.yaml", 3, 3),
        ("c",): ("base.yaml", 4, 1),
    }
    child = {"a": {"y": [3], "z": 2}, "c": None}
    child_pos = {
        ("a",): ("spec.yaml", 1, 1),
        ("a", "y"): ("spec.yaml", 2, 3),
        ("a", "z"): ("spec.yaml", 3, 3),
        ("c",): ("spec.yaml", 4, 1),
    }
    merged, positions = merge(base, base_pos, child, child_pos)
    assert merged == {"a": {"x": 1, "y": [3], "z": 2}, "b": 1}
    assert positions[("a", "x")] == ("base.yaml", 2, 3), "an inherited value points into the base"
    assert positions[("a", "y")] == ("spec.yaml", 2, 3), "an overridden value points into the child"
    assert ("c",) not in positions
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 1, "c": {"k": 1}}, "the base is not changed"


# --- the condition compiler ---------------------------------------------------------------------


def bare(code: str | list[str]) -> str | list[str]:
    """Compiled code without the literal marks the pipeline takes out (generator/emit/marked.py)."""
    from generator.emit.marked import MARKS

    table = str.maketrans("", "", MARKS)
    return [c.translate(table) for c in code] if isinstance(code, list) else code.translate(table)


def test_conditions_compile_to_tests_and_words(tmp_path):
    from generator.customizations import BY_NAME
    from generator.customizations.base import FileContext
    from tests.conftest import load_text

    loaded = load_text(
        tmp_path,
        "version: 1\nname: u\ntimezone: Europe/Moscow\nregistration:\n  rules:\n"
        "    - when: {trunk: ['t1', {regex: '^9'}], answered: false, hours: '09:00-18:00',"
        " field: {path: call_full.result, in: ['404']}}\n      then: skip\n",
    )
    ctx = FileContext(BY_NAME["need_registration"], loaded)
    # The keys the rules read have accessors that say on stderr when they find nothing (the file's
    # log name passed); the pipeline finds them in a first pass, as here.
    ctx.saying = frozenset({"trunk", "answered"})
    tests, words = ctx.when(loaded.spec.registration.rules[0].when)
    tests, words = bare(tests), bare(words)
    rt = ctx.rt
    trunk = ctx.accessors["trunk"][0] + "($params)"
    assert f"{rt.fn('seen')}(\n        $params, $name, 'trunk'" in bare(ctx.accessors["trunk"][1])
    assert tests[0] == (
        f"(array_intersect({trunk.removesuffix(')')}, $name), array('t1')) || {rt.fn('matches')}({trunk}, array('~^9~u')))"
    )
    answered = f"{ctx.accessors['answered'][0]}($params, $name)"
    assert tests[1] == f"{rt.fn('flag')}({answered}, false)"
    zone = f"{ctx.accessors['zone:Europe/Moscow'][0]}()"
    # hours judge the call's start (CALL_START_DATE, else the channel's start_time, in the zone)
    started = f"{rt.fn('started')}({ctx.accessors['start_time'][0]}($params), {zone})"
    assert tests[2] == f"{rt.fn('in_hours')}(array('09:00-18:00'), array(), {zone}, {started})"
    assert tests[3] == f"array_intersect({ctx.accessors['at'][0]}($params, array('call_full', 'result')), array('404'))"
    assert words == (
        'trunk is "t1" or matches "^9" and answered is false and start time is "09:00-18:00" '
        '("Europe/Moscow") and "call_full.result" is "404"'
    )
    assert bare(ctx.comment(("registration", "rules", 0), words)).startswith("// registration.rules[0]: ")


def test_values_compile_with_placeholders_filled_at_call_time(tmp_path):
    from generator.customizations import BY_NAME
    from generator.customizations.base import FileContext
    from tests.conftest import load_text

    ctx = FileContext(BY_NAME["customize_activity"], load_text(tmp_path, "version: 1\nname: v\n"))
    text = ctx.rt.fn("text")
    value = bare(ctx.value("Call {direction}!"))
    filled = f"'Call ' . {text}({ctx.accessors['direction'][0]}($params)) . '!'"
    # A filled text goes into a reply: bytes that are not UTF-8 mended (json_encode fails on them).
    assert value == f"{ctx.fn('utf8_mend')}({filled}, false)"
    assert bare(ctx.value("{{literal}}")) == "'{literal}'"
    assert bare(ctx.value({"a": [1, True, None]})) == "array('a' => array(1, true, null))"
    assert ctx.template("{record}", "html").startswith(ctx.fn("html") + "(")


# --- the backtracking guard ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern,risky",
    [
        ("(a+)+", True),
        ("(\\d*)*", True),
        ("(?:x|y+)*", True),
        ("(?<n>\\d+)+", True),
        ("(?|(a+)|b)+", True),
        ("((ab)+)+", True),
        ("(a+){2,}", True),
        ("(a+)++", False),
        ("(\\w++)+", False),
        ("^\\+7(\\d{10})$", False),
        ("(a|b)*c", False),
        ("(\\d{3})+", False),
        ("(?<x>[+*]x)+", False),
    ],
)
def test_backtracking_guard(pattern, risky):
    assert (backtracking_risk(pattern) is not None) == risky


@pytest.mark.parametrize(
    "pattern,floor,refused",
    [
        ("(*pla:a)b", "7.3", True),
        ("(*pla:a)b", "7.4", False),
        ("(*napla:a)b", "7.4", True),
        ("(?^)a", "7.2", True),
        ("\\N{U+41}", "7.3", True),
        ("[(*pla:]", "5.4", False),
        ("\\(\\*pla:", "5.4", False),
        ("(?n)(a)", "7.2", True),
    ],
)
def test_newer_pcre_syntax_against_the_floor(pattern, floor, refused):
    assert (newer_syntax(pattern, floor) is not None) == refused


def test_the_pipeline_check_refuses_a_literal_that_is_code():
    """Files are checked as skeleton + literals: a `literal` that is really code is caught."""
    from generator.customizations import BY_NAME
    from generator.pipeline import RenderedFile, check

    c = BY_NAME["need_registration"]
    good = RenderedFile(c, "<?php return 1;", True, skeletons=("<?php\nreturn null;",), literals=("array(1, 'a')",))
    bad = RenderedFile(c, "<?php return 1;", True, skeletons=("<?php\nreturn null;",), literals=("system('id')",))
    broken = RenderedFile(c, "<?php return 1;", True, skeletons=("<?php\nreturn [null];",), literals=())
    assert check([good]) == []
    assert "not a constant" in check([bad])[0]
    assert "short array" in check([broken])[0] or "phply" in check([broken])[0]


def test_field_table_paths_survive_their_compact_php_form():
    """The accessors write a source's path dotted and its lists "|"-joined (cheaper for PHP to
    compile): so no key of the table may hold "." or "|"."""
    from generator.emit.fields import FIELDS

    for key, sources in FIELDS.items():
        for source in sources:
            for part in source.path + (source.pick or ()) + (source.dirs or ()):
                assert "." not in part and "|" not in part, (key, part)


def test_zone_offsets_are_written_and_read_like_the_tz_database(php, tmp_path):
    """The offsets written into a file give the same local time as Python's zoneinfo, on both
    sides of each change (Asia/Almaty went from UTC+6 to UTC+5 on 2024-03-01)."""
    import json
    import random
    import subprocess
    import zoneinfo
    from datetime import datetime

    from generator.emit.runtime import runtime
    from generator.emit.zones import offsets

    _base, changes, values = offsets("Asia/Almaty")
    assert 1709229600 in changes and values[changes.index(1709229600)] == 5 * 3600
    rt = runtime()
    rng = random.Random(5)
    zones = ["Asia/Almaty", "Europe/Moscow", "Europe/Berlin", "America/New_York", "Europe/Minsk", "UTC"]
    start, end = datetime(2020, 1, 1, tzinfo=UTC).timestamp(), datetime(2040, 1, 1, tzinfo=UTC).timestamp()
    probes = [(z, int(rng.uniform(start, end))) for z in zones for _ in range(40)]
    probes += [(z, c + d) for z in zones for c in offsets(z)[1][:6] for d in (-1, 0, 1)]
    tables = {z: [offsets(z)[0], list(offsets(z)[1]), list(offsets(z)[2])] for z in zones}
    script = tmp_path / "zones.php"
    script.write_text(
        "<?php\n"
        + rt.emit(["zone_offset", "local_time"])
        + f"$t = json_decode({json.dumps(json.dumps(tables))}, true);\n"
        f"$out = array();\nforeach (json_decode({json.dumps(json.dumps(probes))}, true) as $p) {{\n"
        f"    $out[] = {rt.fn('local_time')}($p[1], $t[$p[0]]);\n}}\necho json_encode($out);\n"
    )
    got = json.loads(subprocess.run([php, "-n", str(script)], capture_output=True, text=True, check=True).stdout)
    for (zone, at), (day, minute, date, _) in zip(probes, got, strict=True):
        local = datetime.fromtimestamp(at, tz=zoneinfo.ZoneInfo(zone))
        assert (day, minute, date) == (local.isoweekday(), local.hour * 60 + local.minute, local.date().isoformat())


def _in_schedule_reference(local, days, off, work):
    """What `hours: <schedule>` means, in Python: a window belongs to the day it starts (a day
    off has none, a weekend day worked has Monday's), so after midnight yesterday's night counts."""
    from datetime import timedelta

    minute = local.hour * 60 + local.minute
    for back in (0, 1):
        date = (local - timedelta(days=back)).date()
        keys = {date.isoformat(), date.strftime("%m-%d")}  # a date, or a day of every year
        day = 1 if keys & set(work) else (0 if keys & set(off) else date.isoweekday())
        for start, end in days.get(day, []):
            crosses = end <= start
            if back == 0 and minute >= start and (crosses or minute < end):
                return True
            if back == 1 and crosses and minute < end:
                return True
    return False


def test_named_schedule_agrees_with_python_across_dst_holidays_and_midnight(php, tmp_path):
    """itgrix_rt_in_schedule gives the reference's answer at random moments of 2025-2027 in a zone
    with summer time, with windows that cross midnight, days off and a weekend day worked."""
    import json
    import random
    import subprocess
    import zoneinfo
    from datetime import UTC, datetime

    from generator.emit.fields import window_text
    from generator.emit.runtime import runtime
    from generator.emit.zones import offsets
    from generator.speclang.types import DAYS

    zone = "Europe/Berlin"
    days = {1: [[540, 1080]], 2: [[540, 1080], [1320, 120]], 5: [[1200, 240]], 6: [[600, 840]], 7: [[1410, 30]]}
    off = [
        "2025-12-25",
        "2026-03-30",
        "2026-10-26",
        "2027-01-01",
        "12-24",
        "07-14",
    ]  # the day after each 2026 DST change too
    work = ["2026-03-29", "2026-11-01", "10-25"]  # 10-25: a Sunday of 2026's autumn change, every year
    rng = random.Random(11)
    start, end = datetime(2025, 1, 1, tzinfo=UTC).timestamp(), datetime(2028, 1, 1, tzinfo=UTC).timestamp()
    moments = [int(rng.uniform(start, end)) // 60 * 60 for _ in range(400)]
    yearly = ("2025-12-24", "2026-12-24", "2027-07-14", "2025-10-25", "2027-10-25")  # the m-d entries' days
    for day in ("2026-03-29", "2026-03-30", "2026-10-25", "2026-10-26", "2026-11-01", "2026-11-02") + yearly:
        base = int(datetime.fromisoformat(day + "T00:00:00+00:00").timestamp())
        moments += [base + m * 60 for m in range(-180, 24 * 60, 15)]  # every quarter hour around changes
    rt = runtime()
    base_, changes, values = offsets(zone)
    # As the files write a schedule: by day name, windows as "22:00-02:00".
    written = {DAYS[k - 1]: [window_text(a, b) for a, b in v] for k, v in days.items()}
    script = tmp_path / "schedule.php"
    script.write_text(
        "<?php\n"
        + rt.emit(["zone_offset", "local_time", "window", "in_schedule"])
        + f"$z = json_decode({json.dumps(json.dumps([base_, list(changes), list(values)]))}, true);\n"
        + f"$d = json_decode({json.dumps(json.dumps(written))}, true);\n"
        + f"$c = array('off' => {json.dumps(off).replace('[', 'array(').replace(']', ')')}, "
        + f"'work' => {json.dumps(work).replace('[', 'array(').replace(']', ')')});\n"
        + f"$out = array();\nforeach (json_decode('{json.dumps(moments)}') as $m) {{\n"
        + f"    $out[] = {rt.fn('in_schedule')}($d, $c, $z, $m);\n}}\necho json_encode($out);\n"
    )
    got = json.loads(subprocess.run([php, "-n", str(script)], capture_output=True, text=True, check=True).stdout)
    expected = [
        _in_schedule_reference(datetime.fromtimestamp(m, tz=zoneinfo.ZoneInfo(zone)), days, off, work) for m in moments
    ]
    assert any(expected) and not all(expected)
    wrong = [
        (datetime.fromtimestamp(m, tz=zoneinfo.ZoneInfo(zone)).isoformat(), e)
        for m, e, g in zip(moments, expected, got, strict=True)
        if e != g
    ]
    assert not wrong, wrong[:5]


def test_date_placeholder_agrees_with_python(php, tmp_path):
    """itgrix_rt_date writes a call-data time in the client's zone as Python's zoneinfo would:
    local texts (the connector's "Y-m-d H:i:s"), texts with their own offset, Unix times; anything
    else, and the connector's unset "0001-01-01 00:00:00", gives ""."""
    import json
    import random
    import subprocess
    import zoneinfo
    from datetime import UTC, datetime, timedelta, timezone

    from generator.emit.runtime import runtime
    from generator.emit.zones import offsets

    zone = "Europe/Berlin"
    tz = zoneinfo.ZoneInfo(zone)
    _b, changes, _v = offsets(zone)
    rng = random.Random(3)
    start = datetime(2021, 1, 1, tzinfo=UTC).timestamp()
    cases: list[tuple[str, str | None, str]] = []
    while len(cases) < 300:
        at = int(rng.uniform(start, start + 8 * 365 * 86400))
        if any(abs(at - c) < 4 * 3600 for c in changes):
            continue  # the hour that is skipped or repeated: no single answer
        local = datetime.fromtimestamp(at, tz=tz)
        iso = local.isoformat()
        kind = len(cases) % 4
        if kind == 0:
            text = local.strftime("%Y-%m-%d %H:%M:%S")
        elif kind == 1:
            other = timezone(timedelta(hours=rng.randint(-11, 13), minutes=rng.choice([0, 30, 45])))
            text = datetime.fromtimestamp(at, tz=other).isoformat()
        elif kind == 2:
            text = datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            text = str(at)
        fmt = rng.choice([None, "d.m.Y H:i", "D, j M y G:i:s", "Y-m-d"])
        php_fmt = {"d.m.Y H:i": "%d.%m.%Y %H:%M", "Y-m-d": "%Y-%m-%d"}
        if fmt is None:
            expected = iso
        elif fmt in php_fmt:
            expected = local.strftime(php_fmt[fmt])
        else:
            expected = f"{local:%a}, {local.day} {local:%b} {local:%y} {local.hour}:{local:%M:%S}"
        cases.append((text, fmt, expected))
    cases += [(t, None, "") for t in ("0001-01-01 00:00:00", "", "soon", "2026-13-01 10:00:00", "2026-11-24 25:00")]
    rt = runtime()
    base_, zchanges, values = offsets(zone)
    script = tmp_path / "date.php"
    script.write_text(
        "<?php\n"
        + rt.emit(["zone_offset", "moment", "date"])
        + f"$z = json_decode({json.dumps(json.dumps([base_, list(zchanges), list(values)]))}, true);\n"
        + f"$out = array();\nforeach (json_decode({json.dumps(json.dumps(cases))}, true) as $c) {{\n"
        + f"    $out[] = {rt.fn('date')}(array($c[0]), $z, $c[1]);\n}}\necho json_encode($out);\n"
    )
    got = json.loads(subprocess.run([php, "-n", str(script)], capture_output=True, text=True, check=True).stdout)
    wrong = [(c, g) for c, g in zip(cases, got, strict=True) if c[2] != g]
    assert not wrong, wrong[:5]


def test_number_types_agree_with_libphonenumber(php, tmp_path):
    """itgrix_rt_number_types gives libphonenumber's type for each region's example numbers of
    every type, written E.164, national and international; another country's number is unknown."""
    import base64
    import json
    import subprocess

    import phonenumbers
    from phonenumbers import PhoneNumberFormat as F
    from phonenumbers import PhoneNumberType as T

    from generator.emit.marked import MARKS
    from generator.emit.phones import calling_code_types, parser_code
    from generator.emit.runtime import runtime

    names = {
        T.MOBILE: ["mobile"],
        T.FIXED_LINE: ["fixed_line"],
        T.FIXED_LINE_OR_MOBILE: ["fixed_line", "mobile"],
        T.TOLL_FREE: ["toll_free"],
        T.PREMIUM_RATE: ["premium_rate"],
        T.VOIP: ["voip"],
    }
    rt = runtime()
    cases = []
    for region in ("RU", "KZ", "BY", "DE", "US", "GB", "UZ", "FR"):
        for kind in (T.MOBILE, T.FIXED_LINE, T.TOLL_FREE, T.PREMIUM_RATE, T.VOIP, T.SHARED_COST, T.UAN):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            want = names.get(phonenumbers.number_type(number), ["unknown"])
            for fmt in (F.E164, F.NATIONAL, F.INTERNATIONAL):
                cases.append((region, phonenumbers.format_number(number, fmt), sorted(want)))
        foreign = phonenumbers.example_number_for_type("JP" if region != "JP" else "BR", T.MOBILE)
        cases.append((region, phonenumbers.format_number(foreign, F.E164), ["unknown"]))
    # A number of another region of the spec's calling code is typed by its own region's plan.
    for spec_region, number_region in (
        ("KZ", "RU"),
        ("RU", "KZ"),
        ("JM", "US"),
        ("US", "JM"),
        ("GG", "GB"),
        ("NO", "SJ"),
    ):
        for kind in (T.MOBILE, T.FIXED_LINE, T.TOLL_FREE):
            number = phonenumbers.example_number_for_type(number_region, kind)
            if number is not None:
                want = names.get(phonenumbers.number_type(number), ["unknown"])
                cases.append((spec_region, phonenumbers.format_number(number, F.INTERNATIONAL), sorted(want)))
    regions = sorted({c[0] for c in cases})
    tables = {r: ["parse_" + r, calling_code_types(r)] for r in regions}
    parsers = "".join(f"function parse_{r}" + parser_code(r, None, True, rt.fn) for r in regions)
    parsers = parsers.translate({ord(mark): None for mark in MARKS})
    script = tmp_path / "types.php"
    script.write_text(
        "<?php\n"
        + rt.emit(rt.closure(rt.fn("number_types") + "(" + parsers))
        + parsers
        # base64: a double-quoted PHP string would read "${1}" of a replacement rule as a variable
        + f"$t = json_decode(base64_decode('{base64.b64encode(json.dumps(tables).encode()).decode()}'), true);\n"
        + "$out = array();\n"
        + f"foreach (json_decode({json.dumps(json.dumps(cases))}, true) as $c) {{\n"
        + f"    $out[] = {rt.fn('number_types')}(array($c[1]), $t[$c[0]][0], $t[$c[0]][1]);\n}}\necho json_encode($out);\n"
    )
    got = json.loads(subprocess.run([php, "-n", str(script)], capture_output=True, text=True, check=True).stdout)
    wrong = [(c, g) for c, g in zip(cases, got, strict=True) if sorted(g) != c[2]]
    assert len(cases) > 100 and not wrong, wrong[:5]


def test_fallback_placeholders_parse_each_alternative():
    from generator.speclang import placeholders as ph

    (part,) = ph.parse("{entity.name ?? client_phone.raw ?? input.caller}")
    assert [p.name for p in part.options] == ["entity.name", "client_phone.raw", "input.caller"]
    assert [p.key for p in ph.each(ph.parse("x {start_time:d.m.Y ?? end_time} y"))] == ["start_time", "end_time"]
    for bad, hint in [
        ("{entity.name ??}", "between two placeholders"),
        ("{?? client_phone}", "between two placeholders"),
        ("{entity.name || client_phone}", "did you mean {entity.name ?? client_phone}"),
        ("{entity.name or client_phone}", "did you mean {entity.name ?? client_phone}"),
        ("{entity.nam ?? client_phone}", "did you mean '{entity.name}'"),
    ]:
        with pytest.raises(ph.TemplateError, match=re.escape(hint)):
            ph.parse(bad)


def test_country_codes_and_suggestions():
    from generator.speclang.types import When

    assert When.model_validate({"country": ["at", "Unknown"]}).country == ("AT", "unknown")
    for bad, hint in [("Austria", "AT (Austria)"), ("Uzbekistan", "UZ (Uzbekistan)"), ("unknwn", "unknown")]:
        with pytest.raises(ValueError, match=re.escape(hint)):
            When.model_validate({"country": bad})


def test_dial_prefix_is_digits_libphonenumber_writes():
    from generator.emit.phones import dial_prefix

    assert [dial_prefix(r) for r in ("DE", "KZ", "US", "UZ")] == ["00", "810", "011", "00"]


def test_explain_shows_numbers_of_the_specs_own_region():
    from generator.customizations.words import number_format

    assert number_format("e164", "DE") == "international E.164 (+4930123456)"
    assert number_format("national", "DE") == "national notation (030123456)"
    assert number_format("dial", "KZ") == "the digits dialled from KZ (87123456789 at home, 8104930123456 abroad)"
    assert "+7" not in number_format("e164", "UZ")


def test_fixed_words_are_read_in_any_case(tmp_path):
    """`at: NOW`, `direction: Incoming`, `days: [MON]`... are the same spec as in lower case, as country
    and holiday codes are (they were refused while `country: kz` was accepted)."""
    from tests.conftest import load_text

    text = (
        "version: 1\nname: u\ntimezone: Europe/Berlin\nphones: {client: {region: DE, format: %s}}\n"
        "registration:\n  rules:\n"
        "    - when: {direction: %s, number_type: [%s], stage: %s,"
        " hours: {window: '09:00-18:00', at: %s, days: [%s, tue]}}\n      then: %s\n"
    )
    upper = load_text(tmp_path, text % ("E164", "Incoming", "MOBILE", "Call_Ended", "NOW", "MON", "SKIP"))
    lower = load_text(tmp_path, text % ("e164", "incoming", "mobile", "call_ended", "now", "mon", "skip"))
    assert upper.spec == lower.spec


@pytest.mark.parametrize("sent", ["0001-01-01 00:00:00", "garbage", "24.13.2026 10:00:00", None])
def test_a_start_time_placeholder_reads_the_time_the_hours_judge(tmp_path, php, sent):
    """CALL_START_DATE unset (or not a date-time): `hours` judged the channel's start_time while
    `{start_time}` came out empty, in one reply.  Both read the first value that is a date-time."""
    from tests.conftest import load_text, render_to, run_one

    spec = (
        "version: 1\nname: st\ntimezone: Asia/Almaty\nactivity:\n"
        "  set: {SUBJECT: 'Звонок {start_time} / {start_time:d.m.Y H:i}'}\n"
        "  rules:\n    - when: {hours: {window: '09:00-18:00'}}\n      set: {DESCRIPTION: 'рабочее время'}\n"
    )
    files = render_to(load_text(tmp_path, spec), tmp_path / "out")
    call = {"SUBJECT": "x", "call_full": {"channel": {"start_time": "2026-11-24 12:00:00"}}}
    if sent is not None:
        call["CALL_START_DATE"] = sent
    result = run_one(files["customize_activity"], call, php=php)
    assert result.clean, result
    assert result.reply["data"] == {
        "SUBJECT": "Звонок 2026-11-24T12:00:00+05:00 / 24.11.2026 12:00",
        "DESCRIPTION": "рабочее время",
    }
