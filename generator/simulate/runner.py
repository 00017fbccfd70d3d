"""Walking calls through the flow table with the spec's real PHP.

Each call is a generator that walks the table (generator/simulate/flow.py) moment by moment and
yields the customization call it needs next; it gets the PHP reply back and feeds it into what
follows, as the connector would (process_client_phone's number into the register, a cancelled
request not sent, need_registration false stopping the stage, process_final_params's USER_ID
into the finish).  The scheduler runs the pending call of every simulated call in ONE batch per
round, so a day of a thousand calls costs about as many PHP processes as one call has steps."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from generator.php.runner import Case, Result
from generator.simulate import flow
from generator.simulate.expand import CallState, Moment, input_for, moments
from generator.simulate.scenario import LoadedScenario
from generator.speclang.loader import LoadedSpec

LOOKAHEAD_CALLS = 20  # up to this many calls, each guesses its later moments' calls too (see walk)
NEW_LEAD_ID = 100001  # the lead Bitrix24 creates for an unknown caller (CRM_CREATE), in the simulation


@dataclass(frozen=True)
class Call:
    """One customization call a simulated call needs."""

    customization: str
    input: dict[str, Any]
    now: int
    text: str = ""  # the input as JSON, written once (inputs are built in a fixed key order)

    @staticmethod
    def of(customization: str, payload: dict[str, Any], now: int) -> Call:
        return Call(customization, payload, now, json.dumps(payload, ensure_ascii=False))

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.customization, self.text, self.now)


@dataclass
class Row:
    t: datetime
    stage: str
    customization: str | None
    input: Any = None
    reply: Any = None  # the whole reply (None: none, e.g. a request without a customization)
    changed: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] | None = None
    cancelled: bool = False
    extension: str | None = None  # whose card a show/hide is for
    problem: str = ""  # the file failed: what PHP said (the connector would log it)
    log: list[str] = field(default_factory=list)  # what the file said on stderr
    answer: Any = None  # the file's whole return value (what a capture log records as the reply)
    moment: int = 0  # index of the PBX event (Timeline.events) this row follows from

    def as_json(self) -> dict[str, Any]:
        return {
            "t": self.t.isoformat(timespec="seconds"),
            "stage": self.stage,
            "customization": self.customization,
            "reply": self.changed,
            "request": self.request,
            "cancelled": self.cancelled,
        }


@dataclass
class Event:
    """What happens on the PBX (the Asterisk lane)."""

    t: datetime
    text: str


@dataclass
class Timeline:
    item: LoadedScenario
    rows: list[Row] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # unmet expectations
    problems: list[str] = field(default_factory=list)  # files that failed

    @property
    def passed(self) -> bool:
        return not self.failures and not self.problems

    def requests(self, method: str) -> list[Row]:
        return [r for r in self.rows if r.request is not None and r.request["method"] == method]


def _data(result: Result) -> tuple[Any, str]:
    """The reply's `data` and what went wrong, if anything."""
    problem = result.crash or "; ".join(result.errors) or (f"printed {result.output!r}" if result.output else "")
    reply = result.reply if result.reply_json is not None else None
    if reply is None:
        return None, problem or "no reply"
    if not isinstance(reply, dict) or reply.get("state") != "success":
        return None, problem or f"the reply is not a success: {json.dumps(reply, ensure_ascii=False)[:200]}"
    data = reply.get("data")
    return (data if data is not None else {}), problem


def changed(before: dict[str, Any], data: Any) -> dict[str, Any]:
    """The reply's fields that differ from the input's (one level into `fields`/`params`)."""
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        old = before.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            inner = changed(old, value)
            if inner:
                out[key] = inner
        elif key not in before or old != value:
            out[key] = value
    return out


def _empty(data: Any) -> bool:
    return data is None or data == {} or data == []


Walk = Generator[list[Call], list[Result], None]

# Files never run ahead of need: a webhook or a record conversion is a side effect.
NOT_AHEAD = frozenset({"post_registration", "process_record_file_path"})


def applies(step: flow.Step, state: CallState, ring: int | None, record_as: str) -> bool:
    """Whether a row of the flow table runs now (its `when`, see flow.WHEN)."""
    sc = state.sc
    registered = state.registration is not None
    c2c = sc.direction == "click-to-call"
    card_on = sc.connector.card
    record = bool(state.finished and sc.record and sc.answered)
    checks = {
        "autodistribution": True,
        "always": True,
        "unregistered": not registered and not c2c,
        "registered_now": state.registered_now or (c2c and ring == 0),
        "card_ringing": registered and card_on in ("ringing", "both"),
        "card_answer": registered and card_on in ("answer", "both"),
        "hide_others": registered,
        "hide_own": registered,
        "ivr": sc.ivr and not registered,
        "ivr_registered": sc.ivr and state.registered_now,
        "registered": registered,
        "record": record,
        "record_file": record and record_as == "file",
        "record_link": record and record_as == "link",
        "missed_task": bool(state.finished) and not sc.answered and sc.connector.missed_tasks,
        "finished": bool(state.finished) and state.entity is not None,
        "finished_any": bool(state.finished),
    }
    return checks[step.when]


def walk(state: CallState, timeline: Timeline, record_as: str, lookahead: bool = False) -> Walk:
    """The connector's walk through one call.  Yields the customization calls it needs (the one
    it needs now, and the rest of the stage's calls whose input is already known, run ahead:
    one PHP round instead of several), receives their results, and feeds each reply forward."""
    sc = state.sc
    ext = [r.extension for r in sc.rings]
    done: dict[tuple[str, str, int], Result] = {}  # results of calls run ahead
    remaining: list[flow.Step] = []
    here: dict[str, Any] = {}

    def ahead() -> list[Call]:
        """The calls that will follow if nothing changes (a guess: a wrong one costs one case)."""
        calls = []
        for step in remaining:
            name = step.customization
            if name is None or name in NOT_AHEAD or not applies(step, state, here["ring"], record_as):
                continue
            payload = input_for(state, name, here["stage"], here["seconds"], here["ring"])
            calls.append(Call.of(name, payload, state.unix(here["seconds"])))
        if lookahead:
            # The later moments too, as if nothing changed in between (few calls: one PHP round
            # is then worth more than the Python that guesses; a busy day batches across calls).
            kept = (state.result, state.record)
            for later in future:
                if later.stage == flow.CALL_ENDED:
                    state.result, state.record = (200 if sc.answered else 304), sc.record or ""
                for step in flow.steps(later.stage):
                    name = step.customization
                    if name is None or name in NOT_AHEAD or not applies(step, state, later.ring, record_as):
                        continue
                    payload = input_for(state, name, later.stage, later.at, later.ring)
                    calls.append(Call.of(name, payload, state.unix(later.at)))
            state.result, state.record = kept
        return calls

    def run(name: str) -> Generator[list[Call], list[Result], tuple[Row, Any]]:
        stage, seconds, ring = here["stage"], here["seconds"], here["ring"]
        payload = input_for(state, name, stage, seconds, ring)
        call = Call.of(name, payload, state.unix(seconds))
        if call.key not in done:
            batch = [call] + [c for c in ahead() if c.key != call.key and c.key not in done]
            results = yield batch
            for sent, result in zip(batch, results, strict=True):
                done[sent.key] = result
        result = done.pop(call.key)
        data, problem = _data(result)
        row = Row(state.moment(seconds), stage, name, payload, data, problem=problem, log=list(result.log))
        row.extension = None if ring is None else ext[ring]
        if problem:
            timeline.problems.append(f"{name} at {stage}: {problem}")
        row.changed = changed(payload, data) if data is not None else {}
        if name == "process_originate_params" and isinstance(data, dict):
            row.changed = changed(payload["params"], data)
        for line in result.log:
            if line.startswith("http stub: "):  # a webhook the file sends (the harness's stub)
                verb, _, rest = line[len("http stub: ") :].partition(" ")
                url, _, body = rest.partition(" ")
                row.request = {"method": "webhook", "params": {"http": verb, "url": url, "body": body}}
        row.answer = result.reply if result.reply_json is not None else None
        row.moment = len(timeline.events) - 1
        timeline.rows.append(row)
        return row, data

    def send(row: Row, method: str, params: Any, data: Any, may_cancel: bool = True) -> bool:
        if may_cancel and _empty(data):
            row.cancelled = True
            return False
        row.request = {"method": method, "params": params}
        return True

    def reply_or_input(data: Any, payload: dict[str, Any]) -> dict[str, Any]:
        """A file that failed: the connector goes on with its own parameters."""
        if isinstance(data, dict):
            return dict(data)
        return {k: v for k, v in payload.items() if k not in ("call_full", "call_stage", "activity")}

    def bare(method: str, params: dict[str, Any], ring: int | None = None) -> None:
        row = Row(state.moment(here["seconds"]), here["stage"], None, request={"method": method, "params": params})
        row.extension = None if ring is None else ext[ring]
        row.moment = len(timeline.events) - 1
        timeline.rows.append(row)

    def hide(ring: int) -> None:
        if ring in state.shown and ring not in state.hidden:
            state.hidden.add(ring)
            call_id = state.registration["call_id"] if state.registration else ""
            bare("telephony.externalcall.hide", {"CALL_ID": call_id, "USER_ID": state.user_id(ring)}, ring)

    future = moments(sc)
    while future:
        moment = future.pop(0)
        stage, seconds, ring = moment.stage, moment.at, moment.ring
        here.update(stage=stage, seconds=seconds, ring=ring)
        timeline.events.append(Event(state.moment(seconds), describe(moment, sc)))
        state.registered_now = False
        if stage == flow.CALL_ENDED:
            state.result = 200 if sc.answered else 304
            state.record = sc.record or ""
        remaining[:] = list(flow.steps(stage))
        while remaining:
            step = remaining.pop(0)
            if not applies(step, state, ring, record_as):
                continue
            name = step.customization
            if name is None:
                if step.request == "telephony.externalcall.hide":
                    assert ring is not None
                    if step.when == "hide_own":
                        hide(ring)
                    for other in list(state.shown) if step.when == "hide_others" else []:
                        answer = sc.rings[other].answered_at
                        talking = answer is not None and sc.rings[other].at + answer <= seconds
                        if other != ring and not talking:
                            hide(other)
                elif step.request == "telephony.externalCall.attachRecord":
                    call_id = state.registration["call_id"] if state.registration else ""
                    params = {
                        "CALL_ID": call_id,
                        "FILENAME": Path(state.record).name,
                        "FILE_CONTENT": f"(the file {state.record}, base64)",
                    }
                    bare(step.request, params)
                continue
            row, data = yield from run(name)
            payload = row.input
            if name == "need_registration":
                if isinstance(data, dict) and data.get("result") is False:
                    # false at call_ended: no finish [doc]; elsewhere nothing more at this stage
                    row.cancelled = stage == flow.CALL_ENDED and state.registration is not None
                    break
            elif name == "process_client_phone":
                if isinstance(data, dict) and isinstance(data.get("phone"), str):
                    state.client_phone = data["phone"]
            elif name == "process_user_phone":
                assert ring is not None
                phone = data.get("phone") if isinstance(data, dict) else None
                state.users[ring] = sc.user_of(phone if isinstance(phone, str) else ext[ring])
            elif name == "process_registration_params":
                params = reply_or_input(data, payload)
                if send(row, "telephony.externalcall.register", params, params):
                    user = params.get("USER_ID", payload["USER_ID"])
                    state.registration = {"call_id": state.call_id(), "user_id": user}
                    state.registered_now = True
                    if state.entity is None and str(params.get("CRM_CREATE", 1)) not in ("0", "", "False"):
                        state.entity = {"type": "lead", "id": NEW_LEAD_ID, "name": "", "responsible_id": user}
            elif name == "customize_show_call_card":
                assert ring is not None
                params = reply_or_input(data, payload)
                if send(row, "telephony.externalcall.show", params, params) and ring not in state.shown:
                    state.shown.append(ring)
                    state.hidden.discard(ring)
            elif name == "customize_autodistribution":
                send(row, "dialplan: ring", reply_or_input(data, payload), data, may_cancel=False)
            elif name == "process_originate_params":
                send(row, "originate", reply_or_input(data, payload["params"]), data, may_cancel=False)
            elif name == "process_final_params":
                params = reply_or_input(data, payload)
                if not send(row, "telephony.externalcall.finish", params, params):
                    break  # no finish: no activity to attach to or to update
                state.finished = params
                state.activity_id = 200000 + state.index
            elif name == "process_record_file_path":
                if isinstance(data, dict) and isinstance(data.get("path"), str) and data["path"]:
                    state.record = data["path"]
            elif name in ("customize_attach_record_url", "customize_activity"):
                send(row, "crm.activity.update", {"id": state.activity_id, "fields": data}, data)
            elif name == "process_task_creation_params":
                inner = data.get("fields") if isinstance(data, dict) else None
                send(row, "tasks.task.add", {"fields": inner}, inner)
            elif name == "customize_entity":
                assert state.entity is not None
                send(row, f"crm.{state.entity['type']}.update", {"id": state.entity["id"], "fields": data}, data)


def describe(moment: Moment, sc: Any) -> str:
    """The PBX's side of a moment, in words (the Asterisk lane)."""
    ring = moment.ring
    ext = sc.rings[ring].extension if ring is not None else ""
    if moment.stage == flow.AUTODISTRIBUTION:
        return f"{sc.client} calls; the dialplan asks the connector whom to ring"
    if moment.stage == flow.ORIGINATE:
        return f"Bitrix24: click-to-call to {sc.client} by {sc.rings[0].extension}"
    # An outgoing or click-to-call ring is the client's phone ringing, and the client answers it
    # (call-flow.md: "the employee's leg rings ... the client answers").
    outward = sc.direction in ("outgoing", "click-to-call")
    answered = ring is not None and sc.rings[ring].answered
    if moment.stage == flow.REQUESTED:
        via = sc.rings[ring].transfer_from if ring is not None else None
        if sc.direction == "outgoing":
            return f"{ext} calls {sc.client}; the client's phone rings"
        if sc.direction == "click-to-call":
            return f"{ext} rings (the employee's leg), then the client's phone"
        return f"{ext} rings" + (f" (transferred by {via})" if via else "")
    if moment.stage == flow.ACCEPTED:
        return f"the client answers ({ext} talks)" if outward else f"{ext} answers"
    if moment.stage == flow.ENDED:
        if outward:
            return f"{ext} hangs up" if answered else "the client does not answer"
        return f"{ext} hangs up" if answered else f"{ext} stops ringing"
    return "the caller hangs up in the IVR" if sc.ivr else "the call ends"


@dataclass
class Run:
    """A simulation's result: the timelines, and (for --format jsonl) each call's decided_by."""

    timelines: list[Timeline]
    decided: dict[tuple[str, str, str], str] = field(default_factory=dict)


def simulate(
    loaded: LoadedSpec,
    items: list[LoadedScenario],
    php: str | None = None,
    version: str = "native",
    capture: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Run:
    """Every scenario through the spec's real files.  One PHP batch per round: the pending call of
    every simulated call at once."""
    import tempfile

    from generator.php import specfiles
    from generator.simulate.expect import check

    zone = ZoneInfo(str(loaded.spec.timezone or "UTC"))
    record_default = "link" if loaded.spec.record_link is not None else "file"
    timelines = [Timeline(item) for item in items]
    run = Run(timelines)
    with tempfile.TemporaryDirectory(prefix="itgrix-gen-capture-") as capture_tmp:
        capture_dir = Path(capture_tmp) if capture else None
        with specfiles.spec_files(loaded, capture_dir) as paths:
            walkers: dict[int, Walk] = {}
            pending: dict[int, list[Call]] = {}
            for i, (item, timeline) in enumerate(zip(items, timelines, strict=True)):
                state = CallState(item.scenario, zone, i)
                record_as = item.scenario.connector.record_as or record_default
                walker = walk(state, timeline, record_as, lookahead=len(items) <= LOOKAHEAD_CALLS)
                try:
                    pending[i] = next(walker)
                    walkers[i] = walker
                except StopIteration:
                    pass
            while pending:
                order = sorted(pending)
                cases = [
                    Case(str(paths[call.customization]), call.text, call.now) for i in order for call in pending[i]
                ]
                results = iter(specfiles.run(cases, php, version))
                for i in order:
                    mine = [next(results) for _ in pending[i]]
                    try:
                        pending[i] = walkers[i].send(mine)
                    except StopIteration:
                        del pending[i]
                        if progress is not None:
                            progress(1)  # one more call walked to its end
        if capture_dir is not None:
            run.decided = decided_by(capture_dir)
    for timeline in timelines:
        check(timeline)
    return run


def decided_by(folder: Path) -> dict[tuple[str, str, str], str]:
    """(customization, time, input as canonical JSON) -> the rule that decided, from the capture
    log the files wrote while the simulation ran."""
    from generator.capture import log

    if not any(folder.glob("*.jsonl")):
        return {}
    found = {}
    for entry in log.read([folder]).entries:
        found[(entry.customization, entry.at, canonical(entry.input))] = entry.decided_by
    return found


def canonical(value: Any) -> str:
    """JSON text to match an input with its capture line (PHP writes an empty object as [])."""

    def plain(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: plain(v) for k, v in node.items()} if node else []
        if isinstance(node, list):
            return [plain(v) for v in node]
        return node

    return json.dumps(plain(value), ensure_ascii=False, sort_keys=True)


def zone_of(loaded: LoadedSpec) -> ZoneInfo:
    return ZoneInfo(str(loaded.spec.timezone or "UTC"))
