"""Where each condition key and placeholder reads its value: the one table of input paths.

The connector's docs leave the inner fields of call_full.channel.from/to/trunk, of the
conversations' users and of entity undocumented (docs/connector/contract.md).  So each key
lists several sources, tried in order; an object found at a path is searched for the first
non-empty field of `pick` (a trunk's "number", then its "name").  A source may apply only to some
customizations (`only`) or only to calls of some directions (`dirs`).  A condition holds when ANY
value collected this way matches; a placeholder takes the FIRST.  The README prints this table
(`itgrix-gen fields` regenerates it), and `field:` conditions / `{call_full.*}` placeholders reach
anything the table does not.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.emit.runtime import Runtime
from typing import Any

NUMBER_FIELDS = ("number", "phone", "num", "extension", "exten")
TRUNK_FIELDS = ("number", "name", "id")
INTERNAL = ("incoming", "local")  # calls on which "to" is an employee
EXTERNAL_OUT = ("outgoing", "local")

CONVERSATION = ("call_full", "conversations", "*")
MAIN = ("call_full", "channel")


@dataclass(frozen=True)
class Source:
    path: tuple[str, ...]
    pick: tuple[str, ...] | None = None
    dirs: tuple[str, ...] | None = None
    map: tuple[tuple[str, str], ...] | None = None
    only: tuple[str, ...] | None = None
    every: bool = False  # conditions: every field of `pick` counts, not only the first found

    def applies_to(self, customization: str) -> bool:
        return self.only is None or customization in self.only

    def describe(self) -> str:
        text = ".".join(self.path)
        if self.pick:
            text += " → " + ("any of " if self.every else "") + " / ".join(self.pick)
        if self.dirs:
            text += f" (calls: {', '.join(self.dirs)})"
        if self.map:
            text += " (" + ", ".join(f"{k}={v}" for k, v in self.map) + ")"
        if self.only:
            text += f" [only {', '.join(self.only)}]"
        return text


ORIGINATE = ("process_originate_params",)
AUTODIST = ("customize_autodistribution",)

FIELDS: dict[str, tuple[Source, ...]] = {
    "direction": (
        Source(MAIN + ("type",)),
        Source(("TYPE",), map=(("1", "outgoing"), ("2", "incoming")), only=("process_registration_params",)),
    ),
    "stage": (Source(("call_stage",)),),
    "extension": (
        Source(("phone",), only=("process_user_phone",)),
        Source(("number",), only=AUTODIST),
        Source(CONVERSATION + ("channel", "to"), pick=NUMBER_FIELDS, dirs=INTERNAL),
        Source(CONVERSATION + ("channel", "from"), pick=NUMBER_FIELDS, dirs=EXTERNAL_OUT),
        Source(MAIN + ("to",), pick=NUMBER_FIELDS, dirs=INTERNAL),
        Source(MAIN + ("from",), pick=NUMBER_FIELDS, dirs=EXTERNAL_OUT),
        Source(CONVERSATION + ("user", "phones", "*")),
    ),
    "trunk": (
        Source(MAIN + ("trunk",), pick=TRUNK_FIELDS, every=True),
        Source(CONVERSATION + ("channel", "trunk"), pick=TRUNK_FIELDS, every=True),
    ),
    "client_phone": (
        Source(("phone",), only=("process_client_phone",)),
        Source(("params", "extension"), only=ORIGINATE),
        Source(("extension",), only=ORIGINATE),
        Source(("from",), only=AUTODIST),
        Source(("PHONE_NUMBER",)),
        Source(MAIN + ("from",), pick=NUMBER_FIELDS, dirs=("incoming",)),
        Source(MAIN + ("to",), pick=NUMBER_FIELDS, dirs=("outgoing",)),
    ),
    "line": (
        Source(("LINE_NUMBER",)),
        Source(MAIN + ("trunk",), pick=TRUNK_FIELDS),
    ),
    "status": (Source(("STATUS_CODE",)), Source(("call_full", "result"))),
    "answered": (Source(MAIN + ("was_answered",)),),
    "is_ivr": (Source(("call_full", "is_ivr")),),
    # placeholders only
    "duration": (Source(("DURATION",)),),
    "start_time": (Source(("CALL_START_DATE",)), Source(MAIN + ("start_time",))),
    "answer_time": (Source(MAIN + ("answer_time",)),),
    "end_time": (Source(MAIN + ("end_time",)),),
    "record": (Source(("call_full", "record")), Source(("path",), only=("process_record_file_path",))),
    "user.name": (
        Source(("user", "name"), only=AUTODIST),
        Source(("activity", "responsible", "name")),
        Source(CONVERSATION + ("user", "name")),
    ),
    "user.id": (
        Source(("user", "id"), only=AUTODIST),
        Source(("USER_ID",)),
        Source(CONVERSATION + ("user", "id")),
    ),
    "entity.name": (Source(("entity", "name"), only=AUTODIST), Source(("call_full", "entity", "name"))),
    "entity.type": (Source(("entity", "type"), only=AUTODIST), Source(("call_full", "entity", "type"))),
    "entity.id": (Source(("entity", "id"), only=AUTODIST), Source(("call_full", "entity", "id"))),
}


FIELDS["client_phone.raw"] = FIELDS["client_phone"]  # {client_phone} is normalised; this one is not


Overrides = dict[str, Any] | None  # a spec's `fields:`: key -> paths, or ReplacePaths {replace: paths}


def override_paths(key: str, overrides: Overrides) -> tuple[list[str], bool] | None:
    """The spec's `fields:` paths for a key ({client_phone.raw} reads what {client_phone} reads),
    and whether they replace the table's own general sources (`{replace: [...]}`)."""
    value = (overrides or {}).get("client_phone" if key == "client_phone.raw" else key)
    if not value:
        return None
    replace = getattr(value, "replace", None)
    return (list(replace), True) if replace is not None else (list(value), False)


def sources_for(key: str, customization: str, overrides: Overrides = None) -> list[Source]:
    """The sources of a condition key or placeholder in one customization, in order.  A spec's
    `fields:` paths come before the table's general sources, which stay (one spec then works on
    servers that keep the value in either place); `{replace: [...]}` drops those.  The sources
    that read a customization's own input (`only`: process_client_phone's `phone`...) stay first."""
    table = [s for s in FIELDS[key] if s.applies_to(customization)]
    found = override_paths(key, overrides)
    if not found:
        return table
    paths, replace = found
    own = [s for s in table if s.only is not None]
    general = [] if replace else [s for s in table if s.only is None]
    return own + [Source(tuple(p.split("."))) for p in paths] + general


DIRECTION_KEY = "direction"

# The conditions that judge the client's number read the key `client_phone` of the table.
_READS_CLIENT_PHONE = ("client_phone_raw", "country", "number_type")


def condition_reads(key: str) -> str:
    """The key of the table a condition key reads its values from (`country` reads the client's
    number), the key itself for the others; one that reads nothing of the input (`hours`) is no
    key of the table."""
    return "client_phone" if key in _READS_CLIENT_PHONE else key


_NO_MARKS = {ord(c): None for c in "\x01\x02\x03\x04"}
_MARKED_COMMENT = re.compile("\x03[^\x03\x04]*\x04")
_COMMENT_LINE = re.compile(r"^[ \t]*//.*\n?", re.M)


def code_only(code: str) -> str:
    """`code` without its comments (comment text from the spec, whole comment lines) and marks: what
    a function is named after, so that a comment never renames a function.  A line that starts
    with `//` is a comment: generated string literals never hold a line break."""
    return _COMMENT_LINE.sub("", _MARKED_COMMENT.sub("", code)).translate(_NO_MARKS)


def needs_direction(key: str, customization: str, overrides: Overrides = None) -> bool:
    return key != DIRECTION_KEY and any(s.dirs for s in sources_for(key, customization, overrides))


def reported(key: str, customization: str, overrides: Overrides = None) -> bool:
    """Does a missing value of `key` say something about the field table?  Not when its sources
    read only some directions' calls: on other calls the key does not apply."""
    return not all(s.dirs for s in sources_for(key, customization, overrides))


FEATURES = ("star", "pick", "every", "map", "list")  # what a file's field reader can do
PLACEHOLDER_COLLECTOR = "itgrix_gen_collect"  # a first pass's reader (its files are not written)
_SELF = "itgrix_gen_00000000_collect"  # the reader calls itself by this name until it is named after its code


def features_of(sources: list[Source]) -> frozenset[str]:
    """What a field reader needs to read `sources` (templates/_collect.php.j2)."""
    out = set()
    for s in sources:
        out |= {"list"} if _listed(s) else set()
        out |= {"star"} if "*" in s.path else set()
        out |= {"pick"} if s.pick else set()
        out |= {"every"} if s.every else set()
        out |= {"map"} if s.map else set()
    return frozenset(out)


def collector(features: frozenset[str]) -> tuple[str, str]:
    """The file's field reader, written with only `features` (a file without '*' in its paths
    compiles no wildcard walk): its name and definition.  Each key's reader calls it once per
    source; it calls itself for the members of a '*'."""
    from generator.emit.templates import environment

    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown field reader features: {sorted(unknown)}")
    code = environment().get_template("_collect.php.j2").render(features=features)
    comment = "// Appends the texts at a path of keys to $found: " + (
        ", ".join(f for f in FEATURES if f in features) or "plain paths"
    )
    name, definition = function_of("collect", comment, code)
    return name, definition.replace(_SELF, name)


def at_function(collector_name: str) -> tuple[str, str]:
    """Values of one input path (a list of keys) as non-empty texts: a `field:` condition, a
    {call_full.*} placeholder."""
    code = f"($params, $path) {{\n    $found = array();\n    {collector_name}($found, $params, $path);\n    return $found;\n}}\n"
    return function_of(
        "at",
        "// Values of one input path as non-empty texts (a `field:` condition, a {call_full.*} placeholder).",
        code,
    )


def read_lines(sources: list[Source], collect: str) -> list[str]:
    """PHP statements that append the texts of `sources` to `$found`, in the table's order: one
    call of the file's field reader `collect` per source (a path as dotted text, which compiles to
    less than an array).  A source of some directions only reads `$params` on those calls (the
    call's direction is `$call`): `$on_incoming` is null on other calls, where it finds nothing.
    A pick list used twice is named once."""
    from generator.emit.marked import php_array, php_string

    lines: list[str] = []
    picks: dict[tuple[str, ...], str] = {}
    repeated = [s.pick for s in sources if s.pick]
    for pick in repeated:
        if repeated.count(pick) > 1 and pick not in picks:
            picks[pick] = f"$pick{len(picks) + 1}"
            lines.append(f"{picks[pick]} = {php_array(list(pick))};")
    gates: dict[tuple[str, ...], str] = {}
    for s in sources:
        if s.dirs and s.dirs not in gates:
            gates[s.dirs] = "$on_" + "_".join(s.dirs)  # the table's directions: plain words
            test = " || ".join(f"$call === {php_string(d)}" for d in s.dirs)
            lines.append(f"{gates[s.dirs]} = {test} ? $params : null;")
    for s in sources:
        path = php_array(list(s.path)) if _listed(s) else php_string(".".join(s.path))
        args = ["$found", gates[s.dirs] if s.dirs else "$params", path]
        if s.pick or s.every or s.map:
            args.append((picks.get(s.pick) or php_array(list(s.pick))) if s.pick else "null")
        if s.every or s.map:
            args.append("true" if s.every else "false")
        if s.map:
            args.append(php_array(dict(s.map)))
        lines.append(f"{collect}({', '.join(args)});")
    return lines


def _listed(source: Source) -> bool:
    """Is the path given as a list of keys (a key holds a ".")?"""
    return any("." in key for key in source.path)


def _reader(sources: list[Source], collect: str, direction: str | None) -> list[str]:
    """The body of a reader of `sources` up to its return of `$found`: `direction` is the PHP
    expression of the call's direction values, for sources of some directions only."""
    head = ["$found = array();"]
    if any(s.dirs for s in sources):
        assert direction is not None, "a source of some directions needs the call's direction"
        head += [f"$call = {direction};", "$call = $call ? $call[0] : ''; // the call's direction ('': none)"]
    return head + read_lines(sources, collect)


def twin_reader(sources: list[Source], collect: str) -> tuple[str, str]:
    """A reader of `sources` written as an accessor is, given the call's direction values
    ($direction): what tests run against probe.collect, the Python twin."""
    body = "".join(f"    {line}\n" for line in _reader(sources, collect, "$direction") + ["return $found;"])
    return function_of("twin", "", f"($params, $direction) {{\n{body}}}\n")


def accessor(
    key: str,
    customization: str,
    rt: Runtime,
    overrides: Overrides = None,
    say: bool = False,
    collect: str = PLACEHOLDER_COLLECTOR,
) -> tuple[str, str]:
    """The PHP function that reads `key` in `customization`, written for the key's sources: one
    call of the file's field reader `collect` per source, in the table's order: its name and
    definition.  It returns every value found, as texts.  Given the file's log name (`say`: a file
    whose rules read the key), a key that finds no value says so on stderr with the paths tried:
    once per key per call, and not on a call whose direction has no such key (EXPECTED_ON: a
    local call has no trunk)."""
    from generator.emit.marked import php_array, php_string

    sources = sources_for(key, customization, overrides)
    plain = "" if key == DIRECTION_KEY else accessor(DIRECTION_KEY, customization, rt, overrides, collect=collect)[0]
    lines = _reader(sources, collect, f"{plain}($params)" if plain else None)
    if not say or not reported(key, customization, overrides):
        body = "".join(f"    {line}\n" for line in lines + ["return $found;"])
        return function_of(key.replace(".", "_"), "", f"($params) {{\n{body}}}\n")
    if split_reader(key, customization, overrides):
        lines = [f"$found = {plain_reader(key, customization, rt, overrides, collect)[0]}($params);"]
    body = "".join(f"    {line}\n" for line in lines)
    kinds, by = "null", "array()"
    if key in EXPECTED_ON:  # the call's direction, read only when the key found nothing
        kinds = php_array(list(EXPECTED_ON[key]))
        by = f"{plain}($params)"
    tried = ", ".join(".".join(s.path) + ("." + "|".join(s.pick) if s.pick else "") for s in sources)
    start = f"    return $name === null || $found ? $found : {rt.fn('seen')}("
    args = f"$params, $name, {php_string(key)}, {kinds}, {by}, "
    tail = f"{start}{args}{php_string(tried)});\n"
    if _visible(tail) + 4 > 120:  # as the file indents it
        tail = f"{start}\n        {args}{php_string(tried)});\n"
        if _visible(tail.split("\n")[1]) + 4 > 120:
            # The paths tried in lines a reviewer reads (PHP joins the texts when it compiles the file).
            texts = [php_string(piece) for piece in _wrap(tried, 120 - 4 - 8 - 6)]
            tail = f"{start}\n        {args.rstrip()}\n        " + "\n        . ".join(texts) + ");\n"
    code = f"($params, $name = null) {{\n{body}{tail}}}\n"
    return function_of(key.replace(".", "_"), "", code)


# PHP compiles a function's opcodes into an array of 64 first: one that needs more costs the call
# a larger array, about 13 us the first time in a fresh process (measured on PHP 8.2).  A saying
# accessor whose reading alone comes near that calls the key's plain reader instead.
OPCODES_AT_FIRST = 64


def plain_reader(key: str, customization: str, rt: Runtime, overrides: Overrides, collect: str) -> tuple[str, str]:
    """The reading part of a long saying accessor (split_reader), named apart from the key's plain
    accessor (a file may have both; the same name would be renamed "_2" by its block)."""
    name, code = accessor(key, customization, rt, overrides, collect=collect)
    return function_of(key.replace(".", "_") + "_read", "", code.removeprefix("function " + name))


def split_reader(key: str, customization: str, overrides: Overrides = None) -> bool:
    """Does the saying accessor of `key` call its plain reader (its own opcodes would pass
    OPCODES_AT_FIRST)?  An estimate from what the reader's lines compile to."""
    sources = sources_for(key, customization, overrides)
    ops = 4 + (10 if any(s.dirs for s in sources) else 0)  # arguments, $found, return; the direction
    ops += sum(3 + 3 * len(dirs) for dirs in {s.dirs for s in sources if s.dirs})  # the gates
    ops += sum(5 + bool(s.pick) + bool(s.every or s.map) + bool(s.map) for s in sources)  # the calls
    return ops + 18 > OPCODES_AT_FIRST - 4  # the saying tail; a margin for the estimate


def _visible(text: str) -> int:
    return len(text.rstrip("\n").translate(_NO_MARKS))


def _wrap(text: str, width: int) -> list[str]:
    """`text` cut after ", " into pieces of about `width` characters (a piece holds one path at least)."""
    pieces = [""]
    for part in re.split(r"(?<=, )", text):
        if pieces[-1] and len(pieces[-1]) + len(part) > width:
            pieces.append("")
        pieces[-1] += part
    return pieces


def reads_direction(key: str, customization: str, overrides: Overrides = None, say: bool = False) -> bool:
    """Does the accessor of `key` call the plain direction accessor (a source of some directions
    only, or a saying accessor of a key only some calls carry)?"""
    if key == DIRECTION_KEY:
        return False
    return needs_direction(key, customization, overrides) or (
        say and key in EXPECTED_ON and reported(key, customization, overrides)
    )


# Keys that only some kinds of call carry: a local call (employee to employee) has no trunk, no line
# and no client number, so no value there says nothing about the field table.
EXPECTED_ON: dict[str, tuple[str, ...]] = {
    "trunk": ("incoming", "outgoing"),
    "line": ("incoming", "outgoing"),
    "client_phone": ("incoming", "outgoing"),
}


def markdown_table(overrides: Overrides = None) -> str:
    """The field table as Markdown; with a spec's `fields:`, its overrides marked as such."""
    lines = ["| key | read from, in order |", "| --- | --- |"]
    for key, sources in FIELDS.items():
        found = override_paths(key, overrides)
        if found:
            paths, replace = found
            own = [s for s in sources if s.only is not None]
            general = [] if replace else [s for s in sources if s.only is None]
            mark = "the spec's `fields:`" + (", replacing the table's" if replace else "")
            cells = (
                [f"`{s.describe()}`" for s in own]
                + [f"`{p}` ({mark})" for p in paths]
                + [f"`{s.describe()}`" for s in general]
            )
        else:
            cells = [f"`{s.describe()}`" for s in sources]
        lines.append(f"| `{key}` | " + "<br>".join(cells) + " |")
    return "\n".join(lines)


def zone_function(name: str) -> tuple[str, str]:
    """The PHP function that returns a time zone's UTC offsets (generator/emit/zones.py): its name
    and definition, named after its content like every helper."""
    from generator.emit.marked import php_comment_text, php_int, php_pretty
    from generator.emit.zones import FIRST_YEAR, LAST_YEAR, offsets, range_end

    base, changes, values = offsets(name)
    # The fourth member: the end of the range written in (the files say when a call is past it).
    table = php_pretty([base, list(changes), list(values), range_end()], indent=4, width=110)
    code = f"() {{\n    return {table};\n}}\n"
    comment = (
        f"// {php_comment_text(name)}: UTC offsets from the tz database, {php_int(FIRST_YEAR)}-{php_int(LAST_YEAR)}"
    )
    return function_of("zone", comment, code)


def function_of(suffix: str, comment: str, code: str) -> tuple[str, str]:
    """A function written into a generated file: its content name (after its code, not its marks
    or comment) and its definition, which generator/emit/guard.py puts in the file's helper block
    and renames with it.  `code` is what follows the name: "($params) {...}"; `comment` ("" for
    none) goes above it."""
    digest = hashlib.sha256(code_only(code).encode("utf-8")).hexdigest()[:8]
    fn = f"itgrix_gen_{digest}_{suffix}"
    return fn, (comment + "\n" if comment else "") + "function " + fn + code


def window_text(start: int, end: int) -> str:
    """Minutes of the day as the spec writes a window: (1140, 540) -> "19:00-09:00" (the files
    say times as a reviewer reads them; their PHP turns them into minutes)."""
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def schedule_function(name: str, spec: Any) -> tuple[str, str]:
    """The PHP function that returns a named schedule (ISO weekday -> windows in minutes): its name
    and definition."""
    from generator.emit.marked import php_comment_text, php_pretty
    from generator.speclang.types import DAYS, _parse_window, schedule_days

    days: dict[int, list[str]] = {}
    for key, windows in spec.schedules[name].items():
        for day in schedule_days(key):
            days[day] = [window_text(*_parse_window(w)) for w in (windows if isinstance(windows, list) else [windows])]
    by_name = {DAYS[day - 1]: windows for day, windows in sorted(days.items())}
    code = f"() {{\n    return {php_pretty(by_name, indent=4, width=110)};\n}}\n"
    comment = f"// schedule {php_comment_text(name)}: the day => its windows"
    return function_of("schedule", comment, code)


def calendar_function(spec: Any) -> tuple[str, str]:
    """The PHP function that returns the spec's calendar: days off and weekend days worked, as
    "Y-m-d" (public holidays from the `holidays` package at generation time, and the spec's own)."""
    from generator.emit.marked import php_comment_text, php_pretty
    from generator.emit.zones import CALENDAR_YEARS, calendar_days

    cal = spec.calendar
    off, work = calendar_days(cal.regions(), tuple(cal.off), tuple(cal.workdays)) if cal else ([], [])
    # 'years': the range written in (the files say when a call is past it).
    years_range = [CALENDAR_YEARS.start, CALENDAR_YEARS.stop - 1]
    data = {"off": off, "work": work, "years": years_range}
    code = f"() {{\n    return {php_pretty(data, indent=4, width=110)};\n}}\n"
    source = "".join(f"public holidays of {php_comment_text(r)}, " for r in cal.regions()) if cal else ""
    years = f"{CALENDAR_YEARS.start}-{CALENDAR_YEARS.stop - 1}"
    comment = f"// the calendar: {source}the spec's own days ({years}; m-d: every year)"
    return function_of("calendar", comment, code)
