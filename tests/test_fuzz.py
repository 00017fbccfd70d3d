"""Malformed call data: every generated file, given missing keys, null objects, wrong types, empty
and huge strings, deep nesting or an empty $params, answers without any notice, warning,
deprecation or error (the harness runs with E_ALL and no php.ini), and with a connector-valid
reply.  For the pass-through spec the reply must be exactly the documented pass-through."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.customizations import BY_NAME, CONTEXT_KEYS, NAMES
from generator.php.runner import Case, run_batch
from tests.conftest import ROOT, count, load, render_to

KEYS = sorted(
    {k for c in BY_NAME.values() for k in c.keys}
    | set(CONTEXT_KEYS)
    | {
        "phone",
        "params",
        "fields",
        "path",
        "user",
        "entity",
        "from",
        "number",
        "name",
        "activity",
        "error",
        "DEADLINE",
        "TITLE",
    }
)
CALL_KEYS = [
    "active_conversation_id",
    "channel",
    "conversations",
    "deal",
    "entity",
    "is_ivr",
    "record",
    "registration",
    "result",
]
CHANNEL_KEYS = [
    "answer_time",
    "end_time",
    "extra",
    "from",
    "to",
    "trunk",
    "id",
    "is_primary",
    "name",
    "start_time",
    "state",
    "type",
    "was_answered",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.sampled_from([2**63 - 1, -(2**63), 2**70]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            "0",
            "1",
            "true",
            "incoming",
            "outgoing",
            "local",
            "call_ended",
            "conversation_accepted",
            "+74951234567",
            "8 (495) 123-45-67",
            "100",
            "sip-moscow",
            "304",
            "0001-01-01 00:00:00",
            "2026-11-24T11:00:00+03:00",
            "x" * 100_000,
            "Ж" * 5000,
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS + CHANNEL_KEYS), st.text(max_size=5)), inner, max_size=5),
    ),
    max_leaves=12,
)


def shaped(keys, values):
    return st.dictionaries(st.sampled_from(keys), values, max_size=len(keys))


number_obj = st.one_of(json_values, shaped(["number", "name", "phone", "id"], scalars))
channel = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "from": number_obj,
            "to": number_obj,
            "trunk": number_obj,
            "type": st.one_of(st.sampled_from(["incoming", "outgoing", "local", "unknown"]), json_values),
            "was_answered": json_values,
            "state": json_values,
            "extra": json_values,
        },
    ),
)
call_full = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "channel": channel,
            "conversations": st.one_of(
                json_values,
                st.dictionaries(
                    st.text(max_size=12),
                    st.one_of(
                        json_values,
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "channel": channel,
                                "user": st.one_of(json_values, shaped(["id", "name", "phones"], json_values)),
                                "is_parked": json_values,
                            },
                        ),
                    ),
                    max_size=3,
                ),
            ),
            "entity": st.one_of(json_values, shaped(["name", "type", "id"], scalars)),
            "is_ivr": json_values,
            "record": json_values,
            "result": json_values,
        },
    ),
)
params = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={k: json_values for k in KEYS}).flatmap(
        lambda d: st.fixed_dictionaries({}, optional={"call_full": call_full}).map(lambda c: {**d, **c})
    ),
)


def normalise(value):
    """PHP decodes JSON objects into arrays, so its json_encode writes an object with keys
    "0".."n-1" back as a list and {} as [] (the connector's customizer does the same on the
    server); compare such values as lists."""
    if isinstance(value, dict):
        value = {k: normalise(v) for k, v in value.items()}
        if not value:
            return []
        if value and list(value) == [str(i) for i in range(len(value))]:
            return list(value.values())
        return value
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # PHP writes big floats as plain digits (57255948081353340 for 5.725594808135334e16)
        return float(f"{value:.15g}")
    return value


def passthrough(name: str, params) -> dict:
    c = BY_NAME[name]
    if name == "post_registration":
        return {"state": "success"}
    if name == "need_registration":
        return {"state": "success", "data": {"result": True}}
    if name in ("customize_activity", "customize_entity"):
        return {"state": "success", "data": {}}
    if isinstance(params, list):
        params = {str(i): v for i, v in enumerate(params)}
    if not isinstance(params, dict):
        return {"state": "success", "data": {}}
    if name == "process_record_file_path":
        data = {k: v for k, v in params.items() if k not in CONTEXT_KEYS}
    else:
        source = params
        if name == "process_originate_params" and isinstance(params.get("params"), (dict, list)):
            source = params["params"]
            if isinstance(source, list):
                source = {str(i): v for i, v in enumerate(source)}
        data = {k: source[k] for k in c.keys if k in source}
    return {"state": "success", "data": data}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    return {
        spec: render_to(load(ROOT / "specs" / spec / "spec.yaml"), root / spec) for spec in ("passthrough", "example")
    }


def run_all(files, inputs, php):
    cases, keys = [], []
    for text in inputs:
        for spec, paths in files.items():
            for name in NAMES:
                cases.append(Case(str(paths[name]), text, 1764000000))
                keys.append((spec, name, text))
    return keys, run_batch(cases, php)


def check(keys, results):
    for (spec, name, text), result in zip(keys, results):
        where = f"{spec}/{name} on {text[:300]!r}"
        assert not result.errors and not result.output and result.crash is None, (
            where,
            result.errors,
            result.output,
            result.crash,
        )
        reply = result.reply
        assert isinstance(reply, dict) and reply.get("state") == "success", (where, reply)
        if name != "post_registration":
            assert isinstance(reply.get("data"), dict), (where, reply)
        if spec == "passthrough":
            try:
                params = json.loads(text)
            except (ValueError, RecursionError):
                params = None  # deeper than Python's parser goes: far past PHP's 512 too
            if _too_deep(params):
                params = None  # PHP's json_decode gives up past depth 512: an empty $params
            assert normalise(reply) == normalise(passthrough(name, params)), where


def _too_deep(value, depth=0) -> bool:
    if depth >= 511:
        return True
    if isinstance(value, dict):
        return any(_too_deep(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_too_deep(v, depth + 1) for v in value)
    return False


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(params, min_size=5, max_size=5))
def test_fuzz_all_fourteen(files, php, batch):
    inputs = [json.dumps(p, ensure_ascii=False) for p in batch]
    count("fuzz inputs (each run through all 14 files of 2 specs)", len(inputs))
    check(
        *run_all(files, inputs, php),
    )


def test_edge_inputs(files, php):
    deep = "[" * 2000 + "]" * 2000
    nested = {"call_full": {"channel": {"from": {"number": {"number": {"number": "1"}}}}}}
    inputs = [
        "{}",
        "[]",
        "null",
        "0",
        '""',
        "true",
        '"x"',
        "[1, 2, 3]",
        deep,
        json.dumps({"call_full": None, "phone": None, "params": None, "fields": None, "path": None}),
        json.dumps({"phone": 79123456789, "path": 5, "fields": "x", "params": "x", "DESCRIPTION": ["a"]}),
        json.dumps({"phone": "9" * 1_000_000, "path": "/" * 100_000, "call_stage": ["x"]}),
        json.dumps(nested),
        json.dumps({"number": ["1"], "name": {"a": 1}, "entity": {"name": ["x"]}, "from": None}),
        json.dumps({"fields": {"DEADLINE": ["x"], "TITLE": None}}),
        json.dumps({"fields": {"DEADLINE": "not a date"}, "call_full": {"channel": {"type": ["incoming"]}}}),
    ]
    count("fuzz edge inputs", len(inputs))
    check(*run_all(files, inputs, php))
