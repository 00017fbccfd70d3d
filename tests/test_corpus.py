"""The differential check: for every spec under specs/, every customization's real PHP reply on a
realistic corpus (tests/corpus/calls.py) equals what an independent Python model of the spec says
(tests/corpus/model.py).  A disagreement is a defect in one of the two; the message shows the
input, both replies and how to rerun it.

SEED and CALLS pin the corpus: the same numbers give the same calls on every machine.  The native
PHP runs every call (batched: one PHP process per spec); every PHP of the matrix runs a sample.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import holidays
import phonenumbers
import pytest

from generator.php.matrix import VERSIONS, run_version, versions_for
from generator.php.runner import Case, run_batch
from tests.conftest import ROOT, SPECS, count, load, render_to
from tests.corpus.calls import CUSTOMIZATIONS, generate_calls, has_stray_byte
from tests.corpus.model import Call, Model, Unmodelled, clean_utf8, rewrite, verdict

SEED = 20261201
CALLS = 3000  # per spec
MATRIX_CALLS = 40  # per spec and PHP version
MATRIX_VERSIONS = tuple(v for v in VERSIONS if v != "native")
START, DAYS = datetime(2025, 12, 20, tzinfo=UTC), 400  # the calls' times: a year of holidays and transfers
# Specs of the corpus check's own (tests/corpus/specs/), each for the spec keys no spec under
# specs/ shows in every form: the customizations whose calls it gets, and how many.
EXTRA: dict[str, tuple[tuple[str, ...], int]] = {
    "calendar-forms": (("process_final_params", "need_registration", "process_registration_params"), 1500),
    "digits-scripts": (("need_registration", "process_final_params", "process_originate_params"), 900),
    "fields-replace": (CUSTOMIZATIONS, 1500),
    "hook-form": (("post_registration",), 400),
    "hook-json-map": (("post_registration",), 400),
    "hook-json-text": (("post_registration",), 400),
    "hook-plain": (("post_registration",), 400),
    "normalize": (("process_client_phone", "process_originate_params", "need_registration"), 1000),
    "record-convert": (("process_record_file_path",), 200),
    "normalize-national": (("process_client_phone", "process_user_phone", "process_originate_params"), 900),
    "shadow-capture": (CUSTOMIZATIONS, 1000),
}
CORPUS_SPECS = SPECS + sorted((Path(__file__).parent / "corpus" / "specs").glob("*.yaml"))


def _hints(spec: Any) -> dict[str, list[Any]]:
    """The spec's own condition values, so that its rules fire on some calls."""
    hints: dict[str, list[Any]] = {}

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if value is top and key == "fields":
                    continue  # paths, not values
                if key == "client_phone.raw" and item is not None:
                    # a number as sent that the pattern's literal start and its length suggest
                    for v in item if isinstance(item, list) else [item]:
                        pattern = v.get("regex") if isinstance(v, dict) else None
                        if isinstance(pattern, str):
                            lead = re.match(r"\^?(\\?\+?[0-9]*)", pattern)
                            start = lead.group(1).replace("\\", "") if lead else ""
                            for length in (10, 11, 12):
                                hints.setdefault("client_phone", []).append(
                                    start + "123456789012"[: max(0, length - len(start.lstrip("+")))]
                                )
                elif key in ("extension", "trunk", "line", "status", "client_phone") and item is not None:
                    for v in item if isinstance(item, list) else [item]:
                        if isinstance(v, (str, int)):
                            hints.setdefault(key, []).append(v)
                        elif isinstance(v, dict) and isinstance(v.get("regex"), str):
                            # a number the pattern's literal start suggests
                            lead = v["regex"].lstrip("^").replace("\\+", "+").replace("?", "")
                            if key == "client_phone" and lead[:1] in "+0123456789":
                                number = lead.split("(")[0] + "1234567"
                                hints.setdefault(key, []).append(number)
                                if number.startswith("+"):  # the same number written nationally
                                    with contextlib.suppress(phonenumbers.NumberParseException):
                                        parsed = phonenumbers.parse(number[:16])
                                        national = phonenumbers.PhoneNumberFormat.NATIONAL
                                        hints[key].append(phonenumbers.format_number(parsed, national))
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

    top = spec.model_dump(by_alias=True, exclude_none=True)
    visit(top)
    if spec.calendar is not None:
        hints["day"] = calendar_days(spec.calendar)
    return hints


def calendar_days(calendar: Any) -> list[Any]:
    """The days a calendar names, in the corpus's year: its holidays, its own days off and workdays
    (each end of a range, each year of a yearly day), and the days beside them."""
    years = range(START.year, START.year + 2)
    named: set[Any] = set()
    for region in calendar.regions():
        country, _, subdivision = region.partition("-")
        named |= set(holidays.country_holidays(country, subdiv=subdivision or None, years=years))
    for item in [*calendar.off, *calendar.workdays]:
        for end in item.split(".."):
            end = end.strip()
            for year in years if len(end) == 5 else [int(end[:4])]:
                with contextlib.suppress(ValueError):  # 02-29
                    named.add(date(year, int(end[-5:-3]), int(end[-2:])))
    return sorted(d + timedelta(days=k) for d in named for k in (-1, 0, 1))


class Corpus:
    """One spec's corpus, model replies, PHP files and (once run) native PHP's results."""

    def __init__(self, path: Path, folder: Path):
        self.path = path
        self.loaded = load(path)
        self.capture_dir: Path | None = None
        if self.loaded.spec.capture is not None:
            # The capture log goes into the test's own folder, never the spec's /var/log/...
            self.capture_dir = folder / "capture"
            capture = self.loaded.spec.capture.model_copy(update={"dir": str(self.capture_dir)})
            self.loaded.spec = self.loaded.spec.model_copy(update={"capture": capture})
        record = self.loaded.spec.record
        if record is not None and any("/srv/records/" in r.replace for r in record.rewrite):
            # The recordings go into the test's own folder, never the spec's /srv/records/
            self.records = folder / "records"
            moved = [r.model_copy(update={"replace": r.replace.replace("/srv/records/", f"{self.records}/")})
                     for r in record.rewrite]  # fmt: skip
            record = record.model_copy(update={"rewrite": moved})
            self.loaded.spec = self.loaded.spec.model_copy(update={"record": record})
        self.files = render_to(self.loaded, folder)
        names, size = EXTRA.get(path.stem, (CUSTOMIZATIONS, CALLS))
        self.calls = list(
            generate_calls(SEED, size, hints=_hints(self.loaded.spec), start=START, days=DAYS, customizations=names)
        )
        self.expected: list[Any] = []
        self.unmodelled: Counter[str] = Counter()
        self.model: Model | None = None
        self.native: dict[int, Any] | None = None
        self.captured: dict[str, list[dict[str, Any]]] = {}
        if record is not None and record.convert is not None:
            self.make_recordings(record)
        try:
            # the corpus specs' conversion command is `cp {src} {dst}`: it makes a non-empty file
            # from a non-empty one
            self.model = Model(self.loaded, converts=lambda path: os.path.getsize(path) > 0)
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

    def make_recordings(self, record: Any) -> None:
        """The recordings of the calls, as the PBX left them: most there, some empty, some
        missing (drawn with SEED), under the path the spec's rewrites give."""
        rng = random.Random(SEED)
        for call in self.calls:
            path = call["input"].get("path")
            if call["customization"] != "process_record_file_path" or not isinstance(path, str):
                continue
            with contextlib.suppress(Unmodelled):
                path = rewrite(path, tuple((r.match, r.replace) for r in record.rewrite))
            kind = rng.random()
            if not path.startswith("/") or has_stray_byte(path) or kind < 0.15:
                continue
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"" if kind < 0.3 else b"RIFF\x24\x00\x00\x00WAVEfmt " + path.encode()[-8:])

    def modelled(self) -> list[int]:
        return [i for i, e in enumerate(self.expected) if e is not Unmodelled]

    def case(self, i: int) -> Case:
        call = self.calls[i]
        text = json.dumps(call["input"], ensure_ascii=False)
        return Case(str(self.files[call["customization"]]), text, call["now"])

    def webhooks(self, i: int) -> list[tuple[str, str, Any]]:
        call = self.calls[i]
        assert self.model is not None
        return [
            (m, u, empty_as_list(b))
            for m, u, b in self.model.webhooks(call["customization"], call["input"], call["now"])
        ]

    def headers(self, i: int) -> list[list[str] | None]:
        """Each request's headers as the model says (None: not modelled, as for a json: body)."""
        call = self.calls[i]
        assert self.model is not None
        return self.model.requests(call["customization"], call["input"], call["now"]).headers

    def run_native(self, php: str) -> dict[int, Any]:
        if self.native is None:
            indexes = self.modelled()
            for old in self.capture_dir.glob("*.jsonl*") if self.capture_dir else []:
                old.unlink()  # what the matrix's sample logged before, if it ran first
            results = run_batch([self.case(i) for i in indexes], php, timeout=600, stub_http=True)
            self.native = dict(zip(indexes, results))
            # the capture log of exactly these calls (the matrix's sample runs the same files later)
            for log in sorted(self.capture_dir.glob("*.jsonl")) if self.capture_dir else []:
                self.captured[log.stem] = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
        return self.native


_CORPORA: dict[Path, Corpus] = {}


def sent(result: Any) -> list[tuple[str, str, Any]]:
    """The requests the harness's HTTP stub saw: "http stub: METHOD URL BODY" lines."""
    out = []
    for line in result.log:
        if line.startswith("http stub: "):
            method, url, body = (line[len("http stub: ") :].split(" ", 2) + ["", ""])[:3]
            try:
                value: Any = json.loads(body) if body else ""
            except ValueError:
                value = body
            out.append((method, url, empty_as_list(value)))
    return out


def empty_as_list(value: Any) -> Any:
    """PHP's arrays cannot tell an empty JSON object from an empty list (the connector's input,
    decoded into $params, has lost it already): both sides compare them alike."""
    if isinstance(value, dict):
        return {k: empty_as_list(v) for k, v in value.items()} if value else []
    if isinstance(value, list):
        return [empty_as_list(v) for v in value]
    return value


def corpus_of(path: Path, tmp_path_factory) -> Corpus:
    if path not in _CORPORA:
        _CORPORA[path] = Corpus(path, tmp_path_factory.mktemp(path.parent.name + "-" + path.stem))
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


# Disagreements whose cause is known: a defect of the generated PHP that this check found.  Each
# has its own test below; one not fixed yet is a strict xfail, which turns red (XPASS) the day
# the defect is fixed (then the mark goes).
def known_defect(corpus: Corpus, i: int, result: Any) -> str | None:
    """The known defect a disagreement on a phone number shows, if any: the PHP's answer differs
    from the model's in the number only, and the number is of the defect's kind."""
    call = corpus.calls[i]
    model, expected = corpus.model, corpus.expected[i]
    if (
        result.reply == expected
        and corpus.webhooks(i)
        and not sent(result)
        and any("webhook not sent: its body could not be encoded" in line for line in result.log)
    ):
        return WEBHOOK_LOST
    if model is not None and result.reply_json is not None and not result.errors:
        model.raw_only = True
        try:
            # the reading explains the call only if it explains the webhooks too (a webhook's
            # reply is always {"state": "success"})
            hooks = [
                (m, u, empty_as_list(b))
                for m, u, b in model.webhooks(call["customization"], call["input"], call["now"])
            ]
            if model.reply(call["customization"], call["input"], call["now"]) == result.reply and hooks == sent(result):
                return CLIENT_PHONE_RAW
        except Unmodelled:
            pass
        finally:
            model.raw_only = False
    found = model.phone_of(call["customization"], call["input"]) if model is not None else None
    reply = result.reply if result.reply_json is not None else None
    if found is None or not isinstance(reply, dict) or not isinstance(reply.get("data"), dict):
        return client_number_defect(corpus, i) if not result.errors and result.crash is None else None
    key = "extension" if call["customization"] == "process_originate_params" else "phone"
    got, wanted = dict(reply["data"]), dict(expected["data"])
    if got.pop(key, None) == wanted.pop(key, None) or got != wanted:
        return None
    return phone_defect(*found)


def phone_defect(rules: Any, phone: str) -> str | None:
    _number, what, parsed = verdict(phone, rules)
    if isinstance(parsed, str):  # a number of another calling code: written, no plan to judge it
        return None
    if what == "valid" and parsed is not None and phonenumbers.region_code_for_number(parsed) != rules.region:
        return SHARED_CODE
    if what == "invalid" and rules.invalid == "keep":
        return INVALID_FORMATTED
    return None


def client_number_defect(corpus: Corpus, i: int) -> str | None:
    """A disagreement elsewhere (a rule on client_phone, {client_phone} in a text) on a call whose
    client number is of a known defect's kind: the number is formatted wrongly there too."""
    call, model = corpus.calls[i], corpus.model
    if model is None or model.client is None:
        return None
    for raw in model.texts("client_phone", Call(call["customization"], call["input"], call["now"])):
        found = phone_defect(model.client, raw)
        if found:
            return found
    return None


WEBHOOK_LOST = (
    "issue 17 'A webhook is never sent when the call data holds any non-ASCII text': the file logs "
    "'webhook not sent: its body could not be encoded' for call data with Cyrillic, Kazakh, Uzbek or "
    "German names (valid UTF-8), where the model sends it"
)
CLIENT_PHONE_RAW = (
    "a client_phone condition tests the number only as sent, not also as phones.client normalises it "
    "(docs/design/spec-language.md, third round): example's `client_phone: {regex: '^\\+?7800'}` does "
    "not skip 8 (800) 123-45-67"
)
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
        elif sent(result) != corpus.webhooks(i):
            got = f"webhooks sent: {sent(result)} (expected {corpus.webhooks(i)}); log: {result.log}"
        elif any(h is not None and h != g for h, g in zip(corpus.headers(i), result.headers)):
            got = f"webhook headers: {result.headers} (expected {corpus.headers(i)})"
        else:
            continue
        if known_defect(corpus, i, result) == defect:
            problems.append(disagreement(corpus, i, got, version))
    return problems


def report(problems: list[str], total: int) -> str:
    text = f"{len(problems)} of {total} calls disagree with the model; the first:\n" + "\n".join(problems[:5])
    return text.encode("utf-8", "backslashreplace").decode("utf-8")  # stray bytes shown, not fatal to xdist


@pytest.mark.parametrize("path", CORPUS_SPECS, ids=lambda p: p.parent.name if p.name.startswith("spec.") else p.stem)
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
        # Found by this check and fixed since (issue 17: the phones and runtime work): each stays a test.
        pytest.param(SHARED_CODE, id="shared-calling-code"),
        pytest.param(INVALID_FORMATTED, id="invalid-formatted"),
        pytest.param(CLIENT_PHONE_RAW, id="client-phone-raw"),
        pytest.param(WEBHOOK_LOST, id="webhook-lost"),
    ],
)
def test_known_defect_is_gone(defect, tmp_path_factory, php):
    problems: list[str] = []
    total = 0
    for path in CORPUS_SPECS:
        corpus = corpus_of(path, tmp_path_factory)
        results = corpus.run_native(php)
        total += len(results)
        problems += compare(corpus, results, "native", defect)
    assert not problems, report(problems, total)


@pytest.mark.parametrize("version", MATRIX_VERSIONS)
def test_every_php_of_the_matrix_agrees_with_the_model_on_a_sample(version, tmp_path_factory, php):
    """MATRIX_CALLS calls of each spec (drawn with SEED from those the model covers), on each PHP
    of the matrix the spec's cases run on (versions_for), in one process per version."""
    sample: list[tuple[Corpus, int]] = []
    for path in CORPUS_SPECS:
        corpus = corpus_of(path, tmp_path_factory)
        if version not in versions_for(corpus.loaded.spec.php):
            continue
        if corpus.loaded.spec.record is not None and corpus.loaded.spec.record.convert is not None:
            continue  # the WASM builds see neither the recordings nor a shell to convert them
        modelled = corpus.modelled()
        picked = random.Random(SEED).sample(modelled, min(MATRIX_CALLS, len(modelled)))
        sample += [(corpus, i) for i in sorted(picked)]
    # A generous hang guard: the WASM builds are slow on a loaded machine.
    results = run_version(version, [corpus.case(i) for corpus, i in sample], php, timeout=3600)
    count(f"corpus calls compared with the model (PHP {version})", len(sample))
    problems: list[str] = []
    for (corpus, i), result in zip(sample, results):
        problems += compare(corpus, {i: result}, version)
    assert not problems, report(problems, len(sample))


@pytest.mark.parametrize(
    "path",
    [p for p in CORPUS_SPECS if load(p).spec.capture is not None],
    ids=lambda p: p.stem if p.stem != "spec" else p.parent.name,
)
def test_capture_log_agrees_with_the_model(path, tmp_path_factory, php):
    """docs/design/spec-language.md "Capture log": one line per call each file saw, with its
    customization, the spec's name, the input, the reply the connector got and, in shadow mode,
    `would_reply`, what the spec decided.  Redacted logs are compared in what redaction keeps."""
    corpus = corpus_of(path, tmp_path_factory)
    results = corpus.run_native(php)
    assert corpus.model is not None and corpus.capture_dir is not None
    redact = corpus.loaded.spec.capture.redact
    lines = corpus.captured
    problems = []
    seen: Counter[str] = Counter()
    for i in results:  # in the order the one PHP process ran them
        call = corpus.calls[i]
        name = call["customization"]
        n = seen[name]
        seen[name] += 1
        line = lines.get(name, [])[n] if n < len(lines.get(name, [])) else None
        # a file for a section the spec leaves out is the pass-through: it decides nothing
        shadow = corpus.model.shadowed(name) and corpus.model.section(name) is not None
        wanted: dict[str, Any] = {"v": 1, "customization": name, "spec": corpus.loaded.spec.name}
        wanted["decided_by"] = corpus.model.decided_by(name, call["input"], call["now"])
        if not redact:
            wanted["input"] = empty_as_list(clean_utf8(call["input"]))
            wanted["reply"] = empty_as_list(clean_utf8(corpus.expected[i]))
            if shadow:
                wanted["would_reply"] = empty_as_list(
                    clean_utf8(corpus.model.decision(name, call["input"], call["now"]))
                )
        got = None if line is None else {k: empty_as_list(line.get(k)) for k in wanted}
        if got != wanted or line is None or ("would_reply" in line) != shadow:
            problems.append(f"{name} call {i}: line {n} of {name}.jsonl is {line!r}, expected {wanted!r}")
    for name, found in lines.items():
        if len(found) != seen[name]:
            problems.append(f"{name}.jsonl holds {len(found)} lines for {seen[name]} calls")
    count("capture lines compared with the model", sum(seen.values()))
    assert not problems, report(problems, len(results))
