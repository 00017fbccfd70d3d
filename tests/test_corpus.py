"""The differential check: for every spec under specs/, every customization's real PHP reply on a
realistic corpus (tests/corpus/calls.py) equals what an independent Python model of the spec says
(tests/corpus/model.py).  A disagreement is a defect in one of the two; the message shows the
input, both replies and how to rerun it.

SEED and CALLS pin the corpus: the same numbers give the same calls on every machine.  The native
PHP runs every call (batched: one PHP process per spec); every PHP of the matrix runs a sample.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from generator.php.runner import Case, run_batch
from tests.conftest import ROOT, SPECS, count, load, render_to
from tests.corpus.calls import generate_calls
from tests.corpus.model import Model, Unmodelled, verdict

SEED = 20261201
CALLS = 3000  # per spec
MATRIX_CALLS = 60  # per spec and PHP version


def _hints(spec: Any) -> dict[str, list[Any]]:
    """The spec's own condition values, so that its rules fire on some calls."""
    hints: dict[str, list[Any]] = {}

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("extension", "trunk", "line", "status", "client_phone") and item is not None:
                    for v in item if isinstance(item, list) else [item]:
                        if isinstance(v, (str, int)):
                            hints.setdefault(key, []).append(v)
                        elif isinstance(v, dict) and isinstance(v.get("regex"), str):
                            # a number the pattern's literal start suggests
                            lead = v["regex"].lstrip("^").replace("\\+", "+").replace("?", "")
                            if key == "client_phone" and lead[:1] in "+0123456789":
                                hints.setdefault(key, []).append(lead.split("(")[0] + "1234567")
                            elif key == "trunk":
                                hints.setdefault(key, []).append(lead.split("(")[0] + "x")
                elif key == "field" and item is not None:
                    for cond in item if isinstance(item, list) else [item]:
                        path = ".".join(cond["path"]) if isinstance(cond["path"], list) else cond["path"]
                        for v in cond.get("in") or []:
                            if path.endswith("dial_status"):
                                hints.setdefault("dial_status", []).append(v)
                            elif path.endswith("result"):
                                hints.setdefault("status", []).append(v)
                            elif path.endswith("caller_id"):
                                hints.setdefault("caller_id", []).append(v)
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(spec.model_dump(by_alias=True, exclude_none=True))
    return hints


class Corpus:
    """One spec's corpus, model replies, PHP files and (once run) native PHP's results."""

    def __init__(self, path: Path, folder: Path):
        self.path = path
        self.loaded = load(path)
        self.files = render_to(self.loaded, folder)
        self.calls = list(generate_calls(SEED, CALLS, hints=_hints(self.loaded.spec)))
        self.expected: list[Any] = []
        self.unmodelled: Counter[str] = Counter()
        self.model: Model | None = None
        self.native: dict[int, Any] | None = None
        try:
            self.model = Model(self.loaded)
        except Unmodelled as exc:
            self.unmodelled[str(exc)] = len(self.calls)
        for call in self.calls:
            reply: Any = Unmodelled
            if self.model is not None:
                try:
                    reply = self.model.reply(call["customization"], call["input"], call["now"])
                except Unmodelled as exc:
                    self.unmodelled[f"{call['customization']}: {exc}"] += 1
            self.expected.append(reply)

    def modelled(self) -> list[int]:
        return [i for i, e in enumerate(self.expected) if e is not Unmodelled]

    def case(self, i: int) -> Case:
        call = self.calls[i]
        text = json.dumps(call["input"], ensure_ascii=False)
        return Case(str(self.files[call["customization"]]), text, call["now"])

    def run_native(self, php: str) -> dict[int, Any]:
        if self.native is None:
            indexes = self.modelled()
            results = run_batch([self.case(i) for i in indexes], php, timeout=600, stub_http=True)
            self.native = dict(zip(indexes, results))
        return self.native


_CORPORA: dict[Path, Corpus] = {}


def corpus_of(path: Path, tmp_path_factory) -> Corpus:
    if path not in _CORPORA:
        _CORPORA[path] = Corpus(path, tmp_path_factory.mktemp(path.parent.name))
    return _CORPORA[path]


def disagreement(corpus: Corpus, i: int, got: Any, version: str) -> str:
    call = corpus.calls[i]
    own = {k: v for k, v in call["input"].items() if k != "call_full"}
    full = json.dumps(call["input"].get("call_full"), ensure_ascii=False)
    return (
        f"{corpus.path.relative_to(ROOT)} {call['customization']} (call {i} of generate_calls({SEED}, {CALLS}), "
        f"shape {call['shape']}, now {call['now']}, PHP {version}):\n"
        f"  input:    {json.dumps(own, ensure_ascii=False)[:800]}\n  call_full: {full[:1200]}\n"
        f"  expected: {json.dumps(corpus.expected[i], ensure_ascii=False)}\n  got:      {got}"
    )


# Disagreements whose cause is known: a defect of the generated PHP, filed and being fixed.  Each
# has its own strict xfail test below, which turns red (XPASS) the day the defect is fixed.
def known_defect(corpus: Corpus, i: int, result: Any) -> str | None:
    call = corpus.calls[i]
    model = corpus.model
    if model is None or call["customization"] not in ("process_client_phone", "process_user_phone"):
        return None
    rules = model.client if call["customization"] == "process_client_phone" else model.user
    phone = call["input"].get("phone")
    reply = result.reply if result.reply_json is not None else None
    if rules is None or not isinstance(phone, str) or not isinstance(reply, dict):
        return None
    got = (reply.get("data") or {}).get("phone")
    number, what, parsed = verdict(phone, rules)
    if (
        what == "valid"
        and parsed is not None
        and got == number
        and phonenumbers.region_code_for_number(parsed) != rules.region
    ):
        return SHARED_CODE
    if what == "invalid" and rules.invalid == "keep" and got != number:
        return INVALID_FORMATTED
    return None


SHARED_CODE = (
    "issue 17 'Numbers of a country that shares its calling code stay raw': a number libphonenumber "
    "finds valid for another region of the spec's calling code (+7 900 212 34 56 in a Kazakhstan spec) "
    "comes back as it arrived instead of in the spec's format"
)
INVALID_FORMATTED = (
    "a number libphonenumber's is_valid_number finds invalid (+7 876 210 12 34, +375 876 523 58 92, "
    "+1 472 123 4192, 0900 200129 in Germany) is written in the spec's format, where `invalid: keep` "
    "(the default) says it comes back as it arrived: the PHP's validity test is looser than libphonenumber's"
)


def compare(corpus: Corpus, results: dict[int, Any], version: str, defect: str | None = None) -> list[str]:
    """Disagreements of `results` with the model: those of no known defect, or only `defect`'s."""
    problems = []
    for i, result in results.items():
        if result.crash or result.errors or result.output:
            got = f"crash={result.crash} errors={result.errors} output={result.output!r}"
        elif result.reply != corpus.expected[i]:
            got = result.reply_json
        else:
            continue
        if known_defect(corpus, i, result) == defect:
            problems.append(disagreement(corpus, i, got, version))
    return problems


def report(problems: list[str], total: int) -> str:
    return f"{len(problems)} of {total} calls disagree with the model; the first:\n" + "\n".join(problems[:5])


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.parent.name)
def test_native_php_agrees_with_the_model(path, tmp_path_factory, php):
    corpus = corpus_of(path, tmp_path_factory)
    results = corpus.run_native(php)
    count("corpus calls compared with the model (native PHP)", len(results))
    count("corpus calls the model does not cover", len(corpus.calls) - len(results))
    problems = compare(corpus, results, "native")
    assert not problems, report(problems, len(results))


@pytest.mark.parametrize(
    "defect",
    [
        pytest.param(SHARED_CODE, marks=pytest.mark.xfail(strict=True, reason=SHARED_CODE), id="shared-calling-code"),
        pytest.param(
            INVALID_FORMATTED, marks=pytest.mark.xfail(strict=True, reason=INVALID_FORMATTED), id="invalid-formatted"
        ),
    ],
)
def test_known_defect_is_gone(defect, tmp_path_factory, php):
    problems: list[str] = []
    total = 0
    for path in SPECS:
        corpus = corpus_of(path, tmp_path_factory)
        results = corpus.run_native(php)
        total += len(results)
        problems += compare(corpus, results, "native", defect)
    assert not problems, report(problems, total)
