"""A scenario: one call in people's terms (who calls, which extensions ring, who answers, for how
long), read from YAML with the project's loader, so a mistake is `file:line:col: path: message`
with a "did you mean" for a misspelt key.  `expect:` makes the scenario a test."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from generator.speclang.issues import SpecError, SpecIssue


def _text(value: Any) -> Any:
    """Numbers are text: YAML reads an unquoted 0101 as 101 and +7727… as a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f'{value!r} is a YAML number; quote it ("{value}") so that it stays as written')
    return value


Text = Annotated[str, BeforeValidator(_text)]


def _moment(value: Any) -> Any:
    """`start` as written ("2026-11-25 19:30:00"); YAML turns an unquoted one into a datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("start is local time in the spec's timezone: write it without an offset")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f'{value!r} is not a date and time; write e.g. "2026-11-25 19:30:00"') from None
        if moment.tzinfo is not None:
            raise ValueError("start is local time in the spec's timezone: write it without an offset")
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Trunk(Strict):
    name: Text | None = Field(default=None, description="the trunk's name in the PBX")
    number: Text | None = Field(default=None, description="the trunk's number (the line the client called)")


class User(Strict):
    id: int = Field(ge=0, description="the Bitrix24 user's ID")
    name: str = ""
    email: str = ""
    position: str = ""


class Ring(Strict):
    """One conversation: an extension rings from `at` for `for` seconds; answered after
    `answered_at` seconds of ringing, it then talks for `talk` seconds."""

    extension: Text
    at: float = Field(default=0, ge=0, description="seconds from the call's start")
    ring_for: float = Field(default=20, gt=0, alias="for", description="seconds it rings (unanswered)")
    answered_at: float | None = Field(default=None, ge=0, description="seconds of ringing before it was answered")
    talk: float = Field(default=0, ge=0, description="seconds of talk after the answer")
    transfer_from: Text | None = Field(default=None, description="the extension that transferred the call here")
    user: User | None = Field(default=None, description="the Bitrix24 user of this extension (see users:)")

    @model_validator(mode="after")
    def _answer_in_ring(self) -> Ring:
        if self.answered_at is not None and self.answered_at > self.ring_for:
            raise ValueError(f"answered_at {self.answered_at:g} is after the ring ends (for: {self.ring_for:g})")
        return self

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def ends(self) -> float:
        if self.answered_at is not None:
            return self.at + self.answered_at + self.talk
        return self.at + self.ring_for


class Entity(Strict):
    type: Literal["lead", "contact", "company"] = "contact"
    id: int = Field(ge=0)
    name: str = ""
    responsible_id: int | None = None


class Connector(Strict):
    """The connector's own settings that shape a call (its admin panel); where the docs are silent
    the defaults are what an integrator expects (README, "See a call before it happens")."""

    missed_responsible: Literal["entity", "last", "default"] = Field(
        default="entity",
        description="missed-call responsible: the entity's responsible, else the last conversation's user, "
        "else default_user (entity); from the last user on (last); always default_user (default)",
    )
    default_user: int = Field(default=1, ge=0, description="the connector's default user ID")
    missed_tasks: bool = Field(default=True, description="missed-call tasks are switched on")
    card: Literal["ringing", "answer", "both"] = Field(
        default="both", description="stages at which the connector asks to show the card"
    )
    record_as: Literal["file", "link"] | None = Field(
        default=None,
        description="attach the record as a file or as a link (default: link when the spec has record_link)",
    )


Fields = dict[str, Any]


class Expect(Strict):
    """What Bitrix24 must get.  A map lists the request's parameters that must be equal (others may
    differ); true/false: the request is sent or not."""

    register_: bool | Fields | None = Field(default=None, alias="register")
    show: list[Text] | None = Field(default=None, description="extensions whose user's card is shown, in order")
    finish: bool | Fields | None = None
    record: bool | Fields | None = Field(default=None, description="attachRecord (or the activity's record link)")
    task: bool | Fields | None = None
    entity: bool | Fields | None = None
    activity: bool | Fields | None = None
    autodistribution: Fields | None = Field(default=None, description="the reply to the dialplan (number, name)")
    originate: Fields | None = Field(default=None, description="the originate parameters (click-to-call)")
    cancelled: list[str] | None = Field(default=None, description="customizations that cancelled their request")


class Scenario(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    start: Annotated[str, BeforeValidator(_moment)] = Field(description="local time in the spec's timezone")
    direction: Literal["incoming", "outgoing", "click-to-call"] = "incoming"
    client: Text = Field(description="the client's number as the PBX sends it")
    trunk: Trunk = Field(default_factory=Trunk)
    ivr: bool = Field(default=False, description="missed in the IVR: no extension rang")
    autodistribution: bool = Field(default=False, description="the dialplan asks for the responsible first")
    rings: list[Ring] = Field(default_factory=list)
    record: str | None = Field(default=None, description="the recording's path on the PBX")
    entity: Entity | None = None
    users: dict[Text, User] = Field(default_factory=dict, description="extension -> Bitrix24 user")
    connector: Connector = Field(default_factory=Connector)
    expect: Expect | None = None

    @model_validator(mode="after")
    def _shape(self) -> Scenario:
        if self.ivr and self.rings:
            raise ValueError("@rings: a call missed in the IVR has no rings (ivr: true)")
        if self.ivr and self.direction != "incoming":
            raise ValueError("@ivr: only an incoming call is missed in the IVR")
        if not self.ivr and not self.rings:
            raise ValueError("@rings: name at least one ring (or ivr: true for a call missed in the IVR)")
        if self.direction == "click-to-call" and self.autodistribution:
            raise ValueError("@autodistribution: autodistribution is for incoming calls")
        known = {r.extension for r in self.rings}
        for i, ring in enumerate(self.rings):
            if ring.transfer_from is not None and ring.transfer_from not in known:
                raise ValueError(f"@rings.{i}.transfer_from: {ring.transfer_from!r} is not an extension that rang")
        return self

    def user_of(self, extension: str) -> User | None:
        """The Bitrix24 user the connector finds for an extension (after process_user_phone)."""
        for ring in self.rings:
            if ring.extension == extension and ring.user is not None:
                return ring.user
        if extension in self.users:
            return self.users[extension]
        if extension.isdigit() and len(extension) <= 6:
            # Not named: an employee whose Bitrix24 ID is the extension's number (README).
            return User(id=int(extension), name=f"Extension {extension}")
        return None

    @property
    def answered(self) -> bool:
        return any(r.answered for r in self.rings)

    @property
    def ends(self) -> float:
        return max((r.ends for r in self.rings), default=0.0)


class LoadedScenario:
    def __init__(self, scenario: Scenario, path: Path):
        self.scenario, self.path = scenario, path

    @property
    def label(self) -> str:
        return f"{self.scenario.name} ({self.path})"


def load(path: Path) -> LoadedScenario:
    """One scenario file (one call)."""
    from generator.speclang import validation, yamlfile

    display = str(path)
    text = yamlfile.read_text(path, display, kind="scenario")
    data, positions = yamlfile.load(
        text, display, empty="the scenario is empty; it needs at least name, start, client and rings (or ivr: true)"
    )
    if not isinstance(data, dict):
        raise SpecError([SpecIssue(display, 1, 1, "", "a scenario is a map (name, start, direction, rings, ...)")])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise SpecError(validation.unique(validation.issues(exc, data, positions, display, root=Scenario))) from None
    return LoadedScenario(scenario, path)


def discover(spec_path: Path) -> list[Path]:
    """The spec's scenario files: scenarios/*.yaml beside it."""
    folder = spec_path.parent / "scenarios"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_all(paths: list[Path]) -> list[LoadedScenario]:
    """Every scenario of the files and folders named; all errors of all files at once."""
    found: list[LoadedScenario] = []
    issues: list[SpecIssue] = []
    for path in paths:
        files = discover(path / "spec.yaml") if path.is_dir() and (path / "scenarios").is_dir() else None
        if files is None and path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        for file in files if files is not None else [path]:
            try:
                found.append(load(file))
            except SpecError as exc:
                issues += exc.issues
    if issues:
        raise SpecError(issues)
    return found
