"""A scenario as the connector sees it: the moments of the call (rings start, answer, end; the call
ends) and the documented inputs of each customization at each moment, with `call_full` evolving
over the stages (channel state, conversations, answer and end times, `registration` after the
register, `result`, `record`).  The shape of `call_full` is the one of the connector's docs and
of the golden cases' calls (specs/example/calls/incoming.json); what the docs leave unnamed
(channel states, an unset time) is filled the way those calls show it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from generator.simulate import flow
from generator.simulate.scenario import Ring, Scenario, User

UNSET_TIME = "0001-01-01 00:00:00"  # how the connector writes a time that has not happened
IVR_SECONDS = 30.0  # how long a caller stays in the IVR before hanging up (no ring to say it)


@dataclass(frozen=True)
class Moment:
    at: float  # seconds from the start
    stage: str
    ring: int | None = None  # index into scenario.rings


def moments(sc: Scenario) -> list[Moment]:
    """The call's stages in time order (ties: the order a PBX reports them in)."""
    found: list[tuple[float, int, int, Moment]] = []
    rank = {flow.AUTODISTRIBUTION: 0, flow.ORIGINATE: 0, flow.ENDED: 1, flow.REQUESTED: 2, flow.ACCEPTED: 3}
    if sc.autodistribution:
        found.append((0.0, 0, -1, Moment(0.0, flow.AUTODISTRIBUTION)))
    if sc.direction == "click-to-call":
        found.append((0.0, 0, -1, Moment(0.0, flow.ORIGINATE, 0)))  # the employee's leg: ring 0
    for i, ring in enumerate(sc.rings):
        found.append((ring.at, rank[flow.REQUESTED], i, Moment(ring.at, flow.REQUESTED, i)))
        if ring.answered_at is not None:
            at = ring.at + ring.answered_at
            found.append((at, rank[flow.ACCEPTED], i, Moment(at, flow.ACCEPTED, i)))
        found.append((ring.ends, rank[flow.ENDED], i, Moment(ring.ends, flow.ENDED, i)))
    end = IVR_SECONDS if sc.ivr else sc.ends
    found.append((end, 9, 0, Moment(end, flow.CALL_ENDED)))
    return [m for *_key, m in sorted(found, key=lambda item: item[:3])]


def user_json(user: User | None, extension: str) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "id": user.id,
        "name": user.name,
        "phones": [extension],
        "email": user.email,
        "position": user.position,
    }


@dataclass
class CallState:
    """What the connector knows about one call while it walks through it."""

    sc: Scenario
    zone: ZoneInfo
    index: int  # the call's number in a simulated day (keeps ids apart)
    t0: datetime = field(init=False)
    linkedid: str = field(init=False)
    client_phone: str = ""  # process_client_phone's answer
    registration: dict[str, Any] | None = None
    registered_now: bool = False
    users: dict[int, User | None] = field(default_factory=dict)  # ring -> user found (process_user_phone)
    shown: list[int] = field(default_factory=list)  # rings whose user sees the card
    hidden: set[int] = field(default_factory=set)
    entity: dict[str, Any] | None = None
    result: int | None = None
    record: str = ""
    finished: dict[str, Any] | None = None  # the finish's parameters
    activity_id: int = 0

    def __post_init__(self) -> None:
        self.t0 = datetime.fromisoformat(self.sc.start).replace(tzinfo=self.zone)
        unix = int(self.t0.timestamp())
        self.linkedid = f"{unix}.{1000 + 50 * (self.index % 180)}"
        self.client_phone = self.sc.client
        if self.sc.entity is not None:
            self.entity = self.sc.entity.model_dump()
        if self.sc.direction == "click-to-call":
            # Bitrix24 registered the call itself before the connector heard of it [doc].
            self.registration = {"call_id": self.call_id(), "user_id": self.first_user_id()}

    # --- ids and times ---------------------------------------------------------------------
    def call_id(self) -> str:
        digest = hashlib.sha256(f"{self.linkedid}/{self.index}".encode()).hexdigest()[:8]
        return f"externalCall.{digest}.{self.linkedid.split('.')[0]}"

    def uid(self, ring: int) -> str:
        unix, minor = self.linkedid.split(".")
        return f"{unix}.{int(minor) + ring + 1}"

    def moment(self, seconds: float) -> datetime:
        return self.t0 + timedelta(seconds=seconds)

    def local(self, seconds: float | None) -> str:
        if seconds is None:
            return UNSET_TIME
        return self.moment(seconds).strftime("%Y-%m-%d %H:%M:%S")

    def iso(self, seconds: float) -> str:
        return self.moment(seconds).isoformat(timespec="seconds")

    def unix(self, seconds: float) -> int:
        return int(self.moment(seconds).timestamp())

    # --- who -------------------------------------------------------------------------------
    def first_user_id(self) -> int:
        for i, ring in enumerate(self.sc.rings):
            user = self.users.get(i, self.sc.user_of(ring.extension))
            if user is not None:
                return user.id
        return self.sc.connector.default_user

    def user_id(self, ring: int) -> int:
        user = self.users.get(ring)
        return user.id if user is not None else self.sc.connector.default_user

    def last_answered(self) -> int | None:
        answered = [i for i, r in enumerate(self.sc.rings) if r.answered]
        return answered[-1] if answered else None

    def missed_user(self) -> int:
        """The missed call's responsible by the connector's setting [doc]: the entity's
        responsible, else the user of the last conversation, else the default user."""
        mode = self.sc.connector.missed_responsible
        if mode == "entity" and self.entity and self.entity.get("responsible_id") is not None:
            return int(self.entity["responsible_id"])
        if mode in ("entity", "last") and self.sc.rings:
            user = self.users.get(len(self.sc.rings) - 1, self.sc.user_of(self.sc.rings[-1].extension))
            if user is not None:
                return user.id
        return self.sc.connector.default_user

    @property
    def incoming(self) -> bool:
        return self.sc.direction == "incoming"

    # --- call_full ---------------------------------------------------------------------------
    def _party(self, ring: Ring | None) -> tuple[dict[str, Any], dict[str, Any]]:
        extension = {"number": ring.extension} if ring is not None else {"number": self.sc.trunk.number or ""}
        client = {"number": self.sc.client}
        return (client, extension) if self.incoming else (extension, client)

    def _trunk(self) -> dict[str, Any]:
        trunk = {}
        if self.sc.trunk.number is not None:
            trunk["number"] = self.sc.trunk.number
        if self.sc.trunk.name is not None:
            trunk["name"] = self.sc.trunk.name
        return trunk

    def _channel(self, ident: str, ring: Ring | None, start: float, seconds: float, over: bool) -> dict[str, Any]:
        answered_at = None
        if ring is not None and ring.answered_at is not None and ring.at + ring.answered_at <= seconds:
            answered_at = ring.at + ring.answered_at
        end = (ring.ends if ring is not None else seconds) if over else None
        src, dst = self._party(ring)
        device = ring.extension if ring is not None else (self.sc.trunk.name or "trunk")
        state = "processed" if over else ("up" if answered_at is not None else "ringing")
        extra: dict[str, Any] = {}
        if over:
            extra = {"dial_status": "ANSWER" if answered_at is not None else "NOANSWER", "hangup_cause": 16}
        return {
            "answer_time": self.local(answered_at),
            "end_time": self.local(end),
            "extra": extra,
            "from": src,
            "id": ident,
            "is_primary": ring is None,
            "name": f"PJSIP/{device}-{hashlib.sha256(ident.encode()).hexdigest()[:8]}",
            "start_time": self.local(start),
            "state": state,
            "to": dst,
            "trunk": self._trunk(),
            "type": "incoming" if self.incoming else "outgoing",
            "was_answered": answered_at is not None,
        }

    def call_full(self, seconds: float, stage: str, active: int | None) -> dict[str, Any]:
        """The call as the connector describes it at `seconds`, at `stage`."""
        call_over = stage == flow.CALL_ENDED
        conversations: dict[str, Any] = {}
        for i, ring in enumerate(self.sc.rings):
            if ring.at > seconds:
                continue
            # Ties: a ring that ends at this very second is over, except the one that is now
            # ringing or answering (moments() puts the ends before the starts).
            over = call_over or ring.ends < seconds or (ring.ends == seconds and (i != active or stage == flow.ENDED))
            user = self.users.get(i, self.sc.user_of(ring.extension))
            conversations[self.uid(i)] = {
                "channel": self._channel(self.uid(i), ring, ring.at, seconds, over),
                "is_parked": False,
                "user": user_json(user, ring.extension),
            }
        primary_ring = self.sc.rings[active] if active is not None else (self.sc.rings[0] if self.sc.rings else None)
        primary = self._channel(self.linkedid, None, 0.0, seconds, call_over)
        src, dst = self._party(primary_ring)
        primary["from"], primary["to"] = src, dst
        answers = [r.at + r.answered_at for r in self.sc.rings if r.answered_at is not None]
        answers = [a for a in answers if a <= seconds]
        if answers:
            primary["answer_time"], primary["was_answered"] = self.local(min(answers)), True
            primary["state"] = "processed" if call_over else "up"
        if call_over:
            primary["extra"]["dial_status"] = "ANSWER" if answers else "NOANSWER"
        return {
            "active_conversation_id": self.uid(active) if active is not None else None,
            "channel": primary,
            "conversations": conversations,
            "deal": None,
            "entity": self.entity,
            "is_ivr": self.sc.ivr,
            "record": self.record,
            "registration": self.registration,
            "result": self.result,
        }

    def talk_seconds(self) -> int:
        """DURATION: from the first answer to the end of the call."""
        answers = [r.at + r.answered_at for r in self.sc.rings if r.answered_at is not None]
        return round(self.sc.ends - min(answers)) if answers else 0

    def activity(self) -> dict[str, Any]:
        """The activity (case) Bitrix24 created for the finished call, as the connector passes it."""
        assert self.finished is not None
        responsible = self.finished.get("USER_ID", self.sc.connector.default_user)
        user = next((u for u in self.users.values() if u is not None and str(u.id) == str(responsible)), None)
        return {
            "id": str(self.activity_id),
            "is_new": False,
            "name": ("Incoming" if self.incoming else "Outgoing") + f" call {self.client_phone}",
            "phones": [],
            "raw": {"ID": str(self.activity_id), "SUBJECT": f"Call {self.client_phone}", "OWNER_TYPE_ID": "3"},
            "responsible": user_json(user, "") or {"id": responsible},
            "responsible_id": str(responsible),
            "type": "activity",
        }


def crm_ref(entity: dict[str, Any] | None) -> list[str]:
    """UF_CRM_TASK's notation: L_11201 for lead 11201 [doc]."""
    if not entity:
        return []
    prefix = {"lead": "L", "contact": "C", "company": "CO"}.get(str(entity.get("type")), "C")
    return [f"{prefix}_{entity.get('id')}"]


def input_for(state: CallState, name: str, stage: str, seconds: float, ring: int | None) -> dict[str, Any]:
    """The documented input of `name` at this moment (docs/connector/customizations-bx.txt)."""
    sc = state.sc
    call_full = state.call_full(seconds, stage, ring)
    call_id = state.registration["call_id"] if state.registration else ""
    ext = [r.extension for r in sc.rings]
    if name in ("need_registration", "post_registration"):
        return {"call_full": call_full, "call_stage": stage}
    if stage == flow.ORIGINATE and name in ("process_client_phone", "process_user_phone"):
        # Bitrix24's OnExternalCallStart: no call on the PBX yet, so only the number.
        return {"phone": sc.client if name == "process_client_phone" else ext[0]}
    if name == "process_client_phone":
        payload: dict[str, Any] = {"phone": sc.client, "call_full": call_full}
        if stage != flow.AUTODISTRIBUTION:  # before ringing there is no stage to name
            payload["call_stage"] = stage
        return payload
    if name == "process_user_phone":
        assert ring is not None
        return {"phone": ext[ring], "call_full": call_full, "call_stage": stage}
    if name == "process_registration_params":
        return {
            "CALL_START_DATE": state.iso(0),
            "CRM_CREATE": 1,
            "CRM_SOURCE": "CALL",
            "LINE_NUMBER": sc.trunk.number or sc.trunk.name or "",
            "PHONE_NUMBER": state.client_phone,
            "SHOW": 0,  # the card is a request of its own [doc]
            "TYPE": 2 if state.incoming else 1,
            "USER_ID": state.user_id(ring) if ring is not None else sc.connector.default_user,
            "call_full": call_full,
            "call_stage": stage,
        }
    if name == "customize_show_call_card":
        assert ring is not None
        return {"CALL_ID": call_id, "USER_ID": state.user_id(ring), "call_full": call_full, "call_stage": stage}
    if name == "customize_autodistribution":
        owner = (state.entity or {}).get("responsible_id")
        extension = next((e for e, u in sc.users.items() if owner is not None and u.id == owner), ext[0] if ext else "")
        user = sc.user_of(extension)
        return {
            "number": extension,
            "name": user.name if user else "",
            "from": state.client_phone,
            "user": user_json(user, extension) or {},
            "entity": dict(state.entity) if state.entity else {},
            "error": "" if state.entity else "entity not found",
        }
    if name == "process_originate_params":
        return {
            "params": {
                "caller_id": ext[0],
                "channel": f"PJSIP/{ext[0]}",
                "context": "from-crm",
                "extension": state.client_phone,  # process_client_phone's answer
                "priority": "1",
                "request_data": json.dumps({"user_id": state.first_user_id()}),
            }
        }
    if name == "process_final_params":
        last = state.last_answered()
        return {
            "ADD_TO_CHAT": 1,
            "CALL_ID": call_id,
            "DURATION": state.talk_seconds(),
            "STATUS_CODE": str(state.result),
            "USER_ID": state.user_id(last) if last is not None else state.missed_user(),
            "call_full": call_full,
        }
    if name == "process_record_file_path":
        return {
            "call_id": state.linkedid,
            "from": call_full["channel"]["from"].get("number", ""),
            "to": call_full["channel"]["to"].get("number", ""),
            "path": state.record,
        }
    if name == "customize_attach_record_url":
        url = state.record
        return {
            "DESCRIPTION": f'<audio src="{url}" controls></audio>',
            "DESCRIPTION_TYPE": 3,
            "activity": state.activity(),
            "call_full": call_full,
            "call_stage": stage,
        }
    if name == "process_task_creation_params":
        assert state.finished is not None
        return {
            "fields": {
                "CREATED_BY": sc.connector.default_user,
                "DEADLINE": (state.moment(seconds) + timedelta(days=1)).isoformat(timespec="seconds"),
                "RESPONSIBLE_ID": state.finished.get("USER_ID", sc.connector.default_user),
                "TITLE": f"Missed call {state.client_phone}",
                "UF_CRM_TASK": crm_ref(state.entity),
            },
            "call_full": call_full,
        }
    if name == "customize_entity":
        return {"call_full": call_full}
    if name == "customize_activity":
        return {"activity": state.activity(), "call_full": call_full}
    raise KeyError(name)
