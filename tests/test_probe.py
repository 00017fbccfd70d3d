"""`fields --probe` across a fleet (issues 19, 22, 23): per target and in total, a connector older
than 3.10, an override suggested only after it is checked on every server's calls, hostile inputs
(call_full null or a string, 1e400), flat memory; and the probe's field reader proven equal to
the generated files' own (the readers generator/emit/fields.py writes, run by the real php)."""

from __future__ import annotations

import copy
import json
import subprocess
import tracemalloc
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.capture import probe
from generator.emit.fields import FIELDS, Source
from generator.emit.marked import MARKS
from tests.conftest import ROOT, cli_here

BASE_CALL = json.loads((ROOT / "specs" / "example" / "calls" / "incoming.json").read_text(encoding="utf-8"))
SPEC = (
    "version: 1\nname: fleet\n"
    "registration:\n  rules:\n    - when: {trunk: sip-spam}\n      then: skip\n"
    "final_params:\n  rules:\n    - when: {client_phone: '+74951234567'}\n      set: {USER_ID: 9}\n"
)


def entry(params: object, customization: str = "need_registration") -> str:
    line = {"v": 1, "at": "2026-11-24T10:00:00+03:00", "customization": customization, "spec": "fleet"}
    return json.dumps(line | {"input": params, "reply": {}, "decided_by": "default"}, ensure_ascii=False) + "\n"


def call(trunk: str = "sip-moscow", number: str = "+74951234567", where: str = "name") -> dict:
    """The example call, its trunk kept in `where` (name, or another connector's title)."""
    data = copy.deepcopy(BASE_CALL)
    channels = [data["call_full"]["channel"]] + [c["channel"] for c in data["call_full"]["conversations"].values()]
    for channel in channels:
        channel["trunk"] = {where: trunk}
        channel["from"]["number"] = number
    return data


def old_call(trunk: str = "sip-moscow", number: str = "+74951234567") -> dict:
    """What a connector older than 3.10 sends: no call_full, the root call and conversation."""
    return {
        "call_stage": "conversation_requested",
        "call": {"id": "1700000000.1", "trunk": trunk, "from": number, "to": "101", "type": 2},
        "conversation": {"type": 2, "from": number, "to": "101"},
    }


def fleet(tmp_path: Path, servers: dict[str, list[str]]) -> Path:
    """A pulled folder: captures/<target>/<customization>.jsonl."""
    root = tmp_path / "captures"
    for name, lines in servers.items():
        (root / name).mkdir(parents=True)
        (root / name / "need_registration.jsonl").write_text("".join(lines), encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    return root


def test_a_key_that_finds_nothing_on_one_server_fails_the_run_naming_it(tmp_path):
    root = fleet(
        tmp_path,
        {
            "pbx1": [entry(call(f"sip-{i}")) for i in range(5)],
            "pbx2": [entry(call(f"sip-{i}", where="title")) for i in range(4)],
            "pbx3": [entry(call(f"sip-{i}")) for i in range(3)],
        },
    )
    proc = cli_here("fields", "--probe", str(root), "--spec", str(tmp_path / "spec.yaml"), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert "the spec reads trunk, which no call of pbx2 provided (4 calls)" in proc.stderr
    assert "pbx1" not in proc.stderr and "pbx3" not in proc.stderr
    data = json.loads(proc.stdout)
    assert data["calls"] == 12 and data["keys"]["trunk"]["resolved"] == 8  # in total most calls found one
    assert {t: v["keys"]["trunk"]["resolved"] for t, v in data["targets"].items()} == {"pbx1": 5, "pbx2": 0, "pbx3": 3}
    assert data["failures"] == [{"key": "trunk", "target": "pbx2", "calls": 4, "customizations": ["need_registration"]}]
    assert data["suggestions"]["trunk"] == ["call_full.channel.trunk.title"]
    # The same logs as text: the per-target lines, and the checked suggestion.
    text = cli_here("fields", "--probe", str(root), "--spec", str(tmp_path / "spec.yaml"))
    assert (
        "pbx2: 4 calls; found nothing for trunk (and for" in text.stdout
        and "pbx1: 5 calls; every key the spec" in text.stdout
    )
    assert "fields:\n    trunk: [call_full.channel.trunk.title]" in text.stdout
    assert "(pbx2: trunk) and changes no value any call already had" in text.stdout


def test_the_suggested_override_passes_after_it_is_written(tmp_path):
    root = fleet(
        tmp_path,
        {"pbx1": [entry(call("sip-a"))], "pbx2": [entry(call("sip-b", where="title"))]},
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC + "fields:\n  trunk: [call_full.channel.trunk.title]\n", encoding="utf-8")
    proc = cli_here("fields", "--probe", str(root), "--spec", str(spec))
    assert proc.returncode == 0, proc.stderr


def test_a_suggestion_that_would_change_another_servers_calls_is_not_printed(tmp_path):
    # pbx2 keeps the trunk only in title (and in route.trunk_name); pbx1 has a title that means
    # something else: adding `title` would change what pbx1's rules see, so route.trunk_name it is.
    pbx2 = call("sip-b", where="title")
    pbx2["call_full"]["channel"]["route"] = {"trunk_name": "sip-b"}
    pbx1 = call("sip-a")
    pbx1["call_full"]["channel"]["trunk"]["title"] = "Main office"
    root = fleet(tmp_path, {"pbx1": [entry(pbx1)] * 3, "pbx2": [entry(pbx2)] * 3})
    proc = cli_here("fields", "--probe", str(root), "--spec", str(tmp_path / "spec.yaml"), "--format", "json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["suggestions"]["trunk"] == ["call_full.channel.route.trunk_name"]


def test_a_connector_older_than_3_10_is_recognised(tmp_path):
    old = [entry(old_call(f"sip-{i}")) for i in range(3)] + [entry(old_call(), "process_final_params")]
    root = fleet(tmp_path, {"pbx1": [entry(call())] * 2, "old": old})
    proc = cli_here("fields", "--probe", str(root), "--spec", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 1
    assert "old: a connector older than 3.10 (4 calls carry the root call/conversation" in proc.stdout
    assert "conversation.type (2 = incoming" in proc.stdout and "call.trunk" in proc.stdout
    assert "the spec reads trunk, which no call of old provided (3 calls)" in proc.stderr
    assert "fields:\n    trunk: [call.trunk]" in proc.stdout
    data = json.loads(
        cli_here("fields", "--probe", str(root), "--spec", str(tmp_path / "spec.yaml"), "--format", "json").stdout
    )
    assert data["targets"]["old"]["connector"] == "older than 3.10"
    # The client's number, never the extension beside it (`conversation.to` is "101" there).
    assert data["suggestions"]["client_phone"] == ["call.from"]
    assert "direction" not in data["suggestions"]  # conversation.type is 2, never "incoming"
    assert data["targets"]["pbx1"]["connector"] == "3.10 or later"


def test_hostile_inputs_are_counted_never_an_internal_error(tmp_path):
    """Issue 22: call_full null (documented), a string, a number, 1e400, -1e400, huge integers."""
    lines = [
        entry({"call_stage": "conversation_requested", "call_full": None}),
        entry({"call_full": "a string"}),
        entry({"call_full": 12}),
        entry({"call_full": {"channel": None, "conversations": "x"}}),
        entry({"call_full": {"channel": "x", "conversations": [None, 1, "a"]}}),
        '{"v":1,"at":"2026-11-24T10:00:00+03:00","customization":"need_registration","spec":"s",'
        '"input":{"call_full":{"channel":{"trunk":{"number":1e400},"from":{"number":-1e400},'
        '"answer_time":1e400,"end_time":"2026"}},"DURATION":1e400},"reply":{},"decided_by":"default"}\n',
        '{"v":1,"at":"x","customization":"need_registration","spec":"s","input":{"call_full":{"channel":'
        '{"trunk":{"number":' + "9" * 400 + '}}}},"reply":{},"decided_by":"default"}\n',
        entry([1, 2, 3]),
        entry("text"),
        entry(None),
        entry({"call_full": None}, "process_final_params"),
    ]
    root = fleet(tmp_path, {"pbx1": lines})
    for fmt in ("text", "json"):
        proc = cli_here("fields", "--probe", str(root), "--spec", str(tmp_path / "spec.yaml"), "--format", fmt)
        assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode == 1, (
            proc.stderr
        )  # trunk is found (INF, a huge number); client_phone not in final_params
    data = json.loads(proc.stdout)
    assert data["calls"] == 11
    assert data["keys"]["trunk"]["resolved"] == 2


def test_no_call_at_all_is_a_usage_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "need_registration.jsonl").write_text("not json\n", encoding="utf-8")
    proc = cli_here("fields", "--probe", str(empty))
    assert proc.returncode == 2 and "no captured call in 1 log file(s)" in proc.stderr, proc.stderr
    proc = cli_here("fields", "--probe", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr


def test_folders_are_searched_recursively_and_a_folders_first_level_is_the_target(tmp_path):
    root = tmp_path / "captures"
    (root / "pbx1" / "2026-11").mkdir(parents=True)
    (root / "pbx1" / "2026-11" / "need_registration.jsonl").write_text(entry(call()), encoding="utf-8")
    (root / "pbx2").mkdir()
    (root / "pbx2" / "need_registration.jsonl.1").write_text(entry(call()), encoding="utf-8")
    (root / "pbx2" / "need_registration.jsonl").write_text(entry(call()), encoding="utf-8")
    found = probe.probe(probe.target_files([root]))
    assert {n: t.calls for n, t in found.targets.items()} == {"pbx1": 1, "pbx2": 2}
    one = probe.probe(probe.target_files([root / "pbx2" / "need_registration.jsonl"]))
    assert list(one.targets) == ["pbx2"]


def test_memory_stays_flat_with_the_logs_size(tmp_path):
    """A line at a time: ten times the calls, about the same peak (the counts, not the calls)."""

    def peak(calls: int) -> int:
        folder = tmp_path / f"n{calls}"
        folder.mkdir()
        with (folder / "need_registration.jsonl").open("w", encoding="utf-8") as handle:
            for i in range(calls):
                handle.write(entry(call(f"sip-{i % 7}", f"+7495{1000000 + i}")))
        tracemalloc.start()
        probe.probe(probe.target_files([folder]))
        _now, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(300), peak(3000)
    assert large < small * 1.5 + 200_000, (small, large)


# --- the twin: probe.collect against the generated field reader, in the real php ---------------

KEYS = ("call_full", "channel", "trunk", "number", "name", "title", "0", "1", "01", "-1", "phones", "Ключ")
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),  # infinities travel as 1e400
    st.sampled_from(["", "0", "sip-москва", "74951234567", "2", "incoming", "🙂"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=12,
)
TABLE = sorted({s for sources in FIELDS.values() for s in sources}, key=repr)
SOURCES = st.one_of(
    st.sampled_from(TABLE),
    st.builds(
        Source,
        path=st.lists(st.sampled_from(KEYS + ("*",)), min_size=1, max_size=4).map(tuple),
        pick=st.none() | st.just(("number", "name", "1")),
        dirs=st.none() | st.just(("incoming",)),
        map=st.none() | st.just((("1", "outgoing"), ("2", "incoming"))),
        every=st.booleans(),
    ),
)
CASES = st.lists(
    st.tuples(VALUES, st.lists(SOURCES, min_size=1, max_size=3), st.sampled_from(["", "incoming", "outgoing"])),
    min_size=40,
    max_size=40,
)

# Corners the random cases may miss: list indexes PHP does not accept, floats PHP prints in its own
# way, numbers beyond a double or a 64-bit integer, a pick on a list.
FIXED = (
    [({"a": ["x", "y"]}, [Source(("a", key))], "") for key in ("0", "1", "01", "+1", "-1", " 1", "2")]
    + [
        ({"a": value}, [Source(("a",))], "")
        for value in (
            0.1,
            1.5e20,
            1e15,
            2.5e15,
            1234567890123456.0,
            1e-5,
            0.0001,
            -1.5e-7,
            12345678.9,
            5e-324,
            1e300,
            -0.0,
            -0.4,
            -3.0,
        )
    ]
    + [
        (
            {"a": float("inf"), "b": float("-inf"), "c": 2**64, "d": -(2**63), "e": 2**63 - 1, "f": 10**400},
            [Source(("*",))],
            "",
        ),
        ({"a": [["n", "m"], {"number": "", "name": "x"}]}, [Source(("a", "*"), pick=("number", "name", "1"))], ""),
        ({"t": 2, "u": "2", "v": 2.0, "w": True}, [Source(("*",), map=(("1", "outgoing"), ("2", "incoming")))], ""),
        # a key holding a "." (a `field:` path given as a list), under a "*" and a direction
        (
            {"a.b": [{"c.d": "x"}, {"c.d": 1.0}], "a": {"b": "no"}},
            [Source(("a.b", "*", "c.d"), dirs=("incoming",))],
            "incoming",
        ),
    ]
)

TWIN_DRIVER = r"""<?php
require $argv[1];
$out = array();
foreach (explode("\n", trim(file_get_contents($argv[2]))) as $line) {
    $case = json_decode($line, true);
    $out[] = $case[3]($case[0], $case[2] === '' ? array() : array($case[2]));
}
echo json_encode($out);
"""


def readers(folder: Path, cases: list[tuple[Any, list[Source], str]]) -> tuple[Path, list[str]]:
    """A PHP file defining, for each case's sources, the reader a generated file would have: the
    field reader written for their features (fields.collector) and a reader of those sources
    written as an accessor is (fields.twin_reader), given the call's direction."""
    from generator.emit.fields import collector, features_of, twin_reader

    defined: dict[str, str] = {}
    names = []
    for _params, sources, _call in cases:
        collect, code = collector(features_of(sources))
        defined[collect] = code
        name, code = twin_reader(sources, collect)
        defined[name] = code
        names.append(name)
    path = folder / "readers.php"
    unmarked = str.maketrans("", "", MARKS)  # what the pipeline takes out of every file
    path.write_text("<?php\n" + "".join(defined.values()).translate(unmarked), encoding="utf-8")
    return path, names


def php_json(value: object) -> str:
    """JSON as the connector would send it: an infinity is a number too large for a double."""
    return json.dumps(value, ensure_ascii=False).replace("-Infinity", "-1e400").replace("Infinity", "1e400")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(CASES)
def test_the_probes_field_reader_is_the_generated_files_own(php, tmp_path_factory, cases):
    folder = tmp_path_factory.mktemp("twin")
    (folder / "driver.php").write_text(TWIN_DRIVER, encoding="utf-8")
    reader, names = readers(folder, FIXED + cases)
    lines = [
        php_json([params, None, call, name])
        for (params, _sources, call), name in zip(FIXED + cases, names, strict=True)
    ]
    (folder / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [php, "-n", str(folder / "driver.php"), str(reader), str(folder / "cases.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    expected = json.loads(proc.stdout)
    for line, (_params, sources, _call), want in zip(lines, FIXED + cases, expected, strict=True):
        params, _, call, _name = json.loads(line)  # what PHP read: 1e400 is inf on both sides
        got = probe.collect(params, sources, call)[1]
        assert got == want, (line, sources)


def test_the_field_reader_agrees_with_php_on_every_key_of_realistic_calls(php, tmp_path):
    """The twin on the corpus (tests/corpus/calls.py): every shape of connector, 44 regions'
    numbers in every notation, names in five languages, stray bytes; every key's sources as each
    customization reads them, through the field reader a generated file has, in the real php."""
    from generator.emit.fields import sources_for
    from tests.corpus.calls import generate_calls, to_json

    cases = []
    for c in generate_calls(seed=19, n=150):
        params = json.loads(to_json(c["input"]))
        call = probe.direction_of(params, c["customization"], None)
        for key in probe.KEYS:
            cases.append((params, sources_for(key, c["customization"]), call))
    (tmp_path / "driver.php").write_text(TWIN_DRIVER, encoding="utf-8")
    reader, names = readers(tmp_path, cases)
    lines = [php_json([params, None, call, name]) for (params, _sources, call), name in zip(cases, names, strict=True)]
    (tmp_path / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [
            php,
            "-n",
            str(tmp_path / "driver.php"),
            str(reader),
            str(tmp_path / "cases.jsonl"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    expected = json.loads(proc.stdout)
    found = 0
    for (params, sources, call), want in zip(cases, expected, strict=True):
        got = probe.collect(params, sources, call)[1]
        assert got == want, (params, sources)
        found += bool(got)
    assert found > len(cases) // 3  # the calls really carry values for most keys


def test_the_probe_tells_the_corpus_connector_shapes_apart(tmp_path):
    from tests.corpus.calls import generate_calls, to_bytes_json

    root = tmp_path / "captures"
    for name in ("new", "old"):
        (root / name).mkdir(parents=True)
    for c in generate_calls(seed=23, n=400):
        if c["customization"] == "process_originate_params" or c["shape"] == "3.10":
            continue
        target = "old" if c["shape"] == "pre-3.10" else "new"
        line = {"v": 1, "at": c["at"], "customization": c["customization"], "spec": "s", "input": c["input"]}
        line |= {"reply": {}, "decided_by": "default"}
        with (root / target / f"{c['customization']}.jsonl").open("ab") as handle:
            handle.write(to_bytes_json(line) + b"\n")  # stray bytes stay raw: such a line is skipped
    found = probe.probe(probe.target_files([root]))
    assert found.targets["old"].old_connector and not found.targets["new"].old_connector
    assert found.targets["new"].keys["trunk"].resolved > 0 and found.targets["old"].keys["trunk"].resolved == 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    torn=st.booleans(),
    every=st.integers(min_value=1, max_value=80),
)
def test_pieces_cut_at_line_starts_hold_every_line_once(tmp_path, lines, torn, every):
    """Workers read a log in pieces: together they read each line exactly once, as one reader does."""
    from generator.capture import log

    path = tmp_path / "need_registration.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in lines) + (b'{"torn' if torn else b""))
    whole = [raw for _n, raw in log._lines(path)]
    cuts = log.line_starts(path, every)
    assert cuts[0] == 0 and cuts == sorted(set(cuts))
    assert all(path.read_bytes()[c - 1 : c] == b"\n" for c in cuts[1:])
    pieced = [raw for a, b in zip(cuts, [*cuts[1:], None]) for _n, raw in log._lines(path, start=a, end=b)]
    assert pieced == whole


def test_large_logs_read_by_several_processes_print_the_same(tmp_path, monkeypatch):
    """Cut into many pieces and read on two worker processes, the probe prints byte for byte what
    one process reading the files whole prints, its override check included."""
    lines = {"pbx1": [], "pbx2": [], "pbx3": []}
    for i in range(240):
        number = ["+74951234567", "+77012345678", "+77272501234", "8 (916) 123-45-67"][i % 4]
        lines["pbx1"].append(entry(call(f"sip-{i % 5}", number), ["need_registration", "process_final_params"][i % 2]))
        lines["pbx2"].append(entry(call(f"sip-{i % 3}", number, where="title")))
        lines["pbx3"].append(entry(old_call(f"sip-{i % 3}", number)))
        if i % 50 == 0:
            lines["pbx1"] += ["\n", "not json\n", entry({"call_full": None, "user": {"name": "Әсем 😀"}})]
    root = fleet(tmp_path, lines)
    (root / "pbx2" / "need_registration.jsonl.1").write_text("".join(lines["pbx2"][:50]), encoding="utf-8")
    with (root / "pbx1" / "need_registration.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"v": 1, "torn')
    spec = str(tmp_path / "spec.yaml")
    monkeypatch.setattr(probe, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(probe, "MIN_PIECE_BYTES", 1)
    monkeypatch.setattr(probe, "PIECE_BYTES", 20_000)
    files = probe.target_files([root])
    assert len(probe.pieces(files, 2)) > 3 * len(files) and len(probe.pieces(files, 1)) == len(files)
    spread: list[tuple[int, int]] = []  # (jobs, tasks) of each pass
    each = probe._each

    def counted(work, tasks, jobs):
        spread.append((jobs, len(tasks)))
        return each(work, tasks, jobs)

    monkeypatch.setattr(probe, "_each", counted)
    printed = {}
    for form in ("json", "text"):
        one = cli_here("fields", "--probe", str(root), "--spec", spec, "--format", form, "--jobs", "1")
        two = cli_here("fields", "--probe", str(root), "--spec", spec, "--format", form, "--jobs", "2")
        assert one.returncode == two.returncode == 1, one.stdout + one.stderr
        assert (two.stdout, two.stderr) == (one.stdout, one.stderr)
        printed[form] = two.stdout
    pieced = len(probe.pieces(files, 2))
    assert spread == [(1, len(files)), (1, len(files)), (2, pieced), (2, pieced)] * 2, spread
    data = json.loads(printed["json"])
    assert data["calls"] == 3 * 240 + 5 + 50 and data["skipped"] == {"lines that are not JSON": 5, "torn lines": 1}
    assert data["suggestions"]["trunk"] == ["call_full.channel.trunk.title", "call.trunk"]


def test_a_key_found_only_in_other_customizations_calls_fails_where_the_spec_reads_it(tmp_path):
    """Issue 19 (a new user's check): a connector older than 3.10 whose registration calls carry only
    the root `call` (its client's number in call.from); process_client_phone and autodistribution
    find a number in their own inputs (`phone`, `from`), never given to registration's rules.  The
    black-list rule must fail the probe naming the server and the customization, with call.from
    suggested, and the pre-3.10 hint must name the paths these calls carry."""
    kz = "+77012345678"
    old_reg = {"call_stage": "conversation_requested", "call": {"id": "1.1", "from": kz, "to": "101", "type": 2}}
    lines = [entry(old_reg) for _ in range(3)]
    lines += [entry({"phone": kz, "call_id": "1.1"}, "process_client_phone") for _ in range(2)]
    lines += [entry({"from": kz, "to": "101", "users": [{"name": "Әлия"}]}, "customize_autodistribution")]
    root = fleet(tmp_path, {"pbx1": [entry(call(number=kz))] * 2, "old": lines})
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"version: 1\nname: fleet\nregistration:\n  rules:\n    - when: {{client_phone: ['{kz}']}}\n      then: skip\n",
        encoding="utf-8",
    )
    proc = cli_here("fields", "--probe", str(root), "--spec", str(spec))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "the spec reads client_phone in need_registration, which no call of old provided there (3 calls)" in (
        proc.stderr
    )
    assert "pbx1" not in proc.stderr
    assert "old: 6 calls; found nothing for client_phone (in need_registration)" in proc.stdout
    assert "pbx1: 2 calls; every key the spec uses found a value" in proc.stdout
    # The hint names what these calls carry (call.*), never conversation.* they do not have.
    assert "client_phone: call.from on incoming calls, call.to on outgoing ones" in proc.stdout
    assert "direction: call.type (2 = incoming" in proc.stdout and "conversation." not in proc.stdout
    assert "fields:\n    client_phone: [call.from]" in proc.stdout
    data = json.loads(cli_here("fields", "--probe", str(root), "--spec", str(spec), "--format", "json").stdout)
    assert data["failures"] == [
        {"key": "client_phone", "target": "old", "calls": 3, "customizations": ["need_registration"]}
    ]
    # Written into the spec as printed, the override passes: registration's calls now find the number.
    spec.write_text(spec.read_text(encoding="utf-8") + "fields:\n  client_phone: [call.from]\n", encoding="utf-8")
    again = cli_here("fields", "--probe", str(root), "--spec", str(spec))
    assert again.returncode == 0, again.stdout + again.stderr
