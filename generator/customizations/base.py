"""What every customization module builds on: the Customization base class, and the FileContext
that turns conditions, values and rules into straight-line PHP for one generated file.

Safety: every spec value reaches PHP through generator.php.literals (strings, numbers, arrays,
regexes) and every spec value in a comment through `say()` (JSON-escaped ASCII, so it can hold
neither a line break nor `?>`).  The code written here is made only of those and of fixed text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from generator.emit import fields, marked
from generator.emit.runtime import PREFIX, runtime
from generator.php import literals
from generator.speclang import placeholders
from generator.speclang.issues import KeyPath
from generator.speclang.types import Match, Rule, When

if TYPE_CHECKING:
    from generator.speclang.loader import LoadedSpec

# Written where a capture line names the version of the file that decided; the pipeline puts in
# each file's own version once it is rendered (a hash of that file: see pipeline.file_version).
SPEC_VERSION_MARK = "@itgrix-gen-spec-version@"
CONTEXT_KEYS = ("call_full", "call_stage", "call", "conversation")
IND = "    "


def say(value: object) -> str:
    """A spec value as comment text: quoted, JSON-escaped ASCII, never a line break or `?>`."""
    return marked.php_comment_text(str(value))


def _moment_word(hours: Any) -> str:
    """Which moment a time condition judges, in the file's comments."""
    return "now" if hours is not None and hours.at == "now" else "start time"


def dotted(path: KeyPath) -> str:
    """("registration", "rules", 1) -> "registration.rules[1]"."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class FileContext:
    """One generated file in the making: the helpers and accessors it uses, and how to write its
    conditions, values and comments."""

    def __init__(self, customization: Customization, loaded: LoadedSpec):
        self.c = customization
        self.loaded = loaded
        self.spec = loaded.spec
        self.rt = runtime()
        self.accessors: dict[str, tuple[str, str]] = {}  # key -> (function name, definition)
        # originate with a region: the rules' client_phone is the clicked number as written and
        # in E.164 for (region, internal_max_digits), not as phones.client writes it.
        self.clicked: tuple[str, int | None] | None = None
        # originate's `invalid: keep`: the rules' E.164 form of a number no plan allows is the number
        # as clicked; with `normalize` it is written in E.164 anyway, as the dialled number is.
        self.clicked_strict = True
        self.reported_keys: set[str] = set()  # the keys a rule reads (said on stderr when missing)
        # The keys whose accessor says so, known before the file is written (pipeline.render_one
        # finds them in a first pass): an accessor is named after its code, so a file must know
        # which kind it uses before the first call of it is written.
        self.saying: frozenset[str] = frozenset()
        self.needs: list[str] = []  # helpers the file calls by name (so its code does not show them)
        # The field reader's features the accessors need (fields.features_of), and its name: found
        # in the first pass too, since an accessor is named after its code, which calls the reader.
        self.features: set[str] = set()
        self.reads = False  # does the file read a key or a path (so it needs the field reader)?
        self.collect_name = fields.PLACEHOLDER_COLLECTOR
        self.track = False  # capture or shadow: rules record which of them decided, in $decided
        self.shadow = False  # shadow: side effects (a webhook, a conversion) are left out

    # --- names ---------------------------------------------------------------------------
    def fn(self, helper: str) -> str:
        return self.rt.fn(helper)

    def capture_call(self, c: Customization, would: str) -> str:
        """The statement that appends this call to the capture log (`capture:`)."""
        cap = self.spec.capture
        assert cap is not None
        zone = self.zone(str(self.spec.timezone)) if self.spec.timezone else "null"
        key = self.redaction_key()
        if cap.redact:
            # The redaction helpers by name (capture calls them only after its memory check): not
            # marked as literals, for they are names the file's helper block renames (emit/guard.py
            # leaves marked literals, the spec's text, as written).
            self.needs += ["redact", "redact_names"]
            key = f"array({key}, {literals.php_string(self.fn('redact'))}, {literals.php_string(self.fn('redact_names'))})"
        config = (
            f"array({marked.php_string(cap.dir)}, {marked.php_int(int(cap.max_mb * 1024 * 1024))}, "
            f"{marked.php_int(cap.keep)}, {zone}, {key}, {marked.php_string(SPEC_VERSION_MARK)})"
        )
        name = marked.php_string(f"{c.name}:{self.spec.name}")
        return (
            f"{self.fn('capture')}({config}, {name}, {marked.php_string(c.name)}, "
            f"{marked.php_string(self.spec.name)},\n            $params, $reply, $decided, {would})"
        )

    def redaction_key(self) -> str:
        """The key of capture's pseudonyms as a PHP literal, or null without `redact: true`.
        Pseudonyms must match across files and `cases import --redact`: a key of the spec."""
        from generator.capture.redact import redact_key

        cap = self.spec.capture
        return marked.php_string(redact_key(self.spec.name)) if cap is not None and cap.redact else "null"

    def decided(self, path: KeyPath) -> list[str]:
        """The statement that records a rule as the decision (capture / shadow only)."""
        return [f"$decided = {marked.php_string(dotted(path))};"] if self.track else []

    def reported(self, key: str) -> str:
        """Like acc(), but a rule's read: the accessor, given the file's log name, says on stderr
        when it finds no value where the key applies (once per key per call)."""
        call = self.acc(key)
        if not fields.reported(key, self.c.name, self.spec.fields):
            return call
        self.reported_keys.add(key)
        return call.removesuffix(")") + ", $name)" if key in self.saying else call

    def acc(self, key: str) -> str:
        """A call of the accessor that reads a condition key or placeholder in this file."""
        self.reads = True
        if key not in self.accessors:
            overrides = self.spec.fields
            say = key in self.saying
            name, code = fields.accessor(key, self.c.name, self.rt, overrides, say=say, collect=self.collect_name)
            self.accessors[key] = (name, code)
            self.features |= fields.features_of(fields.sources_for(key, self.c.name, overrides))
            if fields.reads_direction(key, self.c.name, overrides, say=True):
                # Planned in the first pass too, which does not yet know which keys say so.
                self.features |= fields.features_of(fields.sources_for(fields.DIRECTION_KEY, self.c.name, overrides))
            if fields.reads_direction(key, self.c.name, overrides, say=say):
                # The accessor reads the direction through the plain accessor, which a rule of
                # this file may read through the saying one (another function).
                self.accessors["plain:" + fields.DIRECTION_KEY] = fields.accessor(
                    fields.DIRECTION_KEY, self.c.name, self.rt, overrides, collect=self.collect_name
                )
            if say and fields.split_reader(key, self.c.name, overrides):
                # A long saying accessor calls the plain reader of its key (fields.split_reader).
                self.accessors["read:" + key] = fields.plain_reader(
                    key, self.c.name, self.rt, overrides, self.collect_name
                )
        return self.accessors[key][0] + "($params)"

    def at(self, keys: list[str]) -> str:
        """A call of the function that reads one input path (a list of keys: a `field:` condition,
        a {call_full.*} placeholder) as texts."""
        self.reads = True
        self.features |= {"list"} | ({"star"} if "*" in keys else set())
        if "at" not in self.accessors:
            self.accessors["at"] = fields.at_function(self.collect_name)
        return f"{self.accessors['at'][0]}($params, {marked.php_array(keys)})"

    def schedule(self, name: str) -> str:
        """A call of the function that gives the named schedule's windows by weekday."""
        key = "schedule:" + name
        if key not in self.accessors:
            self.accessors[key] = fields.schedule_function(name, self.spec)
        return self.accessors[key][0] + "()"

    def calendar(self) -> str:
        """A call of the function that gives the spec's calendar (days off, weekend days worked)."""
        if "calendar" not in self.accessors:
            self.accessors["calendar"] = fields.calendar_function(self.spec)
        return self.accessors["calendar"][0] + "()"

    def zone(self, name: str) -> str:
        """A call of the function that gives `name`'s UTC offsets (written into the file)."""
        key = "zone:" + name
        if key not in self.accessors:
            self.accessors[key] = fields.zone_function(name)
        return self.accessors[key][0] + "()"

    def comment(self, path: KeyPath, text: str = "") -> str:
        # The rule's stable place (`registration.rules[1]`), never its line in the spec: a line
        # number would rewrite every file when one line is inserted above (`explain` gives lines).
        line = f"// {dotted(path)}" + (f": {text}" if text else "")
        if "\n" in line or "\r" in line or "?>" in line:  # say() makes this impossible; belt and braces
            raise ValueError("unsafe comment text")
        return line

    # --- conditions ----------------------------------------------------------------------
    def when(self, when: When, zone: str | None = None) -> tuple[list[str], str]:
        """The PHP tests of a `when` (all must hold) and their description in words.  `zone`: the
        enclosing condition's time zone (inside `not` and `any`)."""
        tests: list[str] = []
        words: list[str] = []
        zone = when.timezone or zone
        for key in ("direction", "stage"):
            values = getattr(when, key)
            if values is not None:
                tests.append(f"array_intersect({self.reported(key)}, {marked.php_array(list(values))})")
                words.append(f"{key} is " + " or ".join(say(v) for v in values))
        for key in ("extension", "trunk", "client_phone", "client_phone_raw", "line", "status"):
            match = getattr(when, key)
            if match is None:
                continue
            read = fields.condition_reads(key)
            both = self.client_phones() if key == "client_phone" else None
            if both is not None:
                # The number as sent or as the spec writes it; the spec's values likewise, so that
                # "+998712345678" matches "71 234-56-78" and "00998712345678".
                tests.append(self._match(f"{both}({self.reported(read)})", match, f"{both}({self.acc(read)})", both))
            else:  # the first test says on stderr when nothing is found; an `||` after it need not
                tests.append(self._match(self.reported(read), match, self.acc(read)))
            name = "client_phone.raw" if key == "client_phone_raw" else key
            words.append(f"{name} {self._match_words(match)}" + (" (as sent or as written)" if both else ""))
        if when.country is not None:
            tests.append(f"array_intersect({self.countries()}, {marked.php_array(list(when.country))})")
            words.append("the number's country is " + " or ".join(say(c) for c in when.country))
        if when.number_type is not None:
            tests.append(f"array_intersect({self.number_types()}, {marked.php_array(list(when.number_type))})")
            words.append("number_type is " + " or ".join(say(t) for t in when.number_type))
        for key in ("answered", "is_ivr"):
            value = getattr(when, key)
            if value is not None:
                tests.append(f"{self.fn('flag')}({self.reported(key)}, {marked.php_bool(value)})")
                words.append(f"{key} is {'true' if value else 'false'}")
        if when.duration is not None:
            for op, seconds in when.duration.tests():
                tests.append(f"{self.fn('duration')}($params) {op} {marked.php_int(seconds)}")
                words.append(f"duration {op} {seconds} s")
        if when.hours is not None or when.days is not None:
            windows, days, place, text = self._hours(when, zone)
            at = self._moment(when, place)
            if when.hours is not None and when.hours.schedule:
                schedule = self.schedule(when.hours.schedule)
                tests.append(f"{self.fn('in_schedule')}({schedule}, {self.calendar()}, {self.zone(place)}, {at})")
            else:
                tests.append(
                    f"{self.fn('in_hours')}({marked.php_array(windows)}, {marked.php_array(days)}, "
                    f"{self.zone(place)}, {at})"
                )
            words.append(text)
        for condition in when.field or ():
            keys = list(condition.keys())
            values = self.at(keys)
            tests.append(self._match(values, condition.match()))
            words.append(f"{say('.'.join(keys))} {self._match_words(condition.match())}")
        if when.not_ is not None:
            inner, text = self.when(when.not_, zone)
            tests.append("!(" + (" && ".join(inner) if inner else "true") + ")")
            words.append(f"not ({text})")
        if when.any_ is not None:
            branches = [self.when(branch, zone) for branch in when.any_]
            tests.append("(" + " || ".join("(" + (" && ".join(t) or "true") + ")" for t, _w in branches) + ")")
            words.append("any of (" + "; ".join(w for _t, w in branches) + ")")
        return tests, " and ".join(words) if words else "always"

    def _match(self, values: str, match: Match, again: str | None = None, wanted: str | None = None) -> str:
        """The test of a match on `values`; a second test reads `again` (default: `values`);
        `wanted`: a function the spec's exact values go through too."""
        parts = []
        if match.values:
            exact = marked.php_array(list(match.values))
            parts.append(f"array_intersect({values}, {f'{wanted}({exact})' if wanted else exact})")
        if match.regexes:
            patterns = "array(" + ", ".join(marked.php_regex(r) for r in match.regexes) + ")"
            parts.append(f"{self.fn('matches')}({again if parts and again else values}, {patterns})")
        return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"

    @staticmethod
    def _match_words(match: Match) -> str:
        parts = []
        if match.values:
            parts.append("is " + " or ".join(say(v) for v in match.values))
        if match.regexes:
            parts.append("matches " + " or ".join(say(r) for r in match.regexes))
        return " or ".join(parts)

    def _moment(self, when: When, place: str) -> str:
        """The moment hours/days judge: the call's start (`start_time`'s sources, read in the
        zone; the moment the file runs when the input has none), or `at: now`."""
        if when.hours is not None and when.hours.at == "now":
            return f"{self.fn('now')}()"
        # The connector writes the start in the server's zone, taken to be the spec's timezone.
        return f"{self.fn('started')}({self.acc('start_time')}, {self.zone(self.spec.timezone or place)})"

    def _hours(self, when: When, outer: str | None = None) -> tuple[list[str], list[str], str, str]:
        """The windows ("19:00-09:00", as a reviewer reads them; the PHP turns them into minutes),
        their days ("sat"; none: every day), the zone, and the words of the comment."""
        hours = when.hours
        zone = (hours.timezone if hours and hours.timezone else None) or when.timezone or outer or self.spec.timezone
        days: list[str] = list(when.days) if when.days else (list(hours.days) if hours and hours.days else [])
        if hours is not None and hours.schedule:
            return [], [], str(zone), f"{_moment_word(hours)} is in the schedule {say(hours.schedule)} ({say(zone)})"
        spans = hours.minutes() if hours else [(0, 24 * 60)]
        windows = [fields.window_text(start, end) for start, end in spans]
        text = (
            f"{_moment_word(hours)} is " + " or ".join(say(w) for w in hours.window) if hours else "start time is any"
        )
        if days:
            text += " on " + ",".join(days)
        return windows, days, str(zone), f"{text} ({say(zone)})"

    def if_block(self, tests: list[str], body: list[str]) -> list[str]:
        """`if (a && b) { body }`; the pipeline lays a long condition out one clause a line."""
        if not tests:
            return body
        return [f"if ({' && '.join(tests)}) {{"] + [IND + line for line in body] + ["}"]

    # --- values --------------------------------------------------------------------------
    def template(self, text: str, escape: str | None = None, wrap: bool = False) -> str:
        """A text with {placeholders} as a PHP expression (a concatenation); `wrap`: one part per
        line when the whole would be long, so a reviewer reads the text the spec wrote."""
        parts = []
        for part in placeholders.parse(text):
            if isinstance(part, str):
                if part:
                    parts.append(marked.php_string(part))
                continue
            parts.append(self._escape(self.placeholder(part), escape, part.key))
        if not parts:
            return "''"
        joined = " . ".join(parts)
        return "\n    . ".join(parts) if wrap and len(joined) > 90 else joined

    def reply_text(self, expr: str) -> str:
        """A filled text that goes into a reply: a byte of the call's data that is not UTF-8 becomes
        U+FFFD, else the connector could not encode the reply as JSON and the call would break."""
        return f"{self.fn('utf8_mend')}({expr}, false)"

    def placeholder(self, part: placeholders.Placeholder) -> str:
        if part.rest:  # {a ?? b}: the first alternative that is not empty
            return f"{self.fn('first')}(array({', '.join(self.placeholder(p) for p in part.options)}))"
        path = part.path
        key = part.key
        if key == "duration":
            return f"(string) {self.fn('duration')}($params)"
        if path is not None:
            return f"{self.fn('text')}({self.at(list(path))})"
        if key in placeholders.DATE_NAMES:
            fmt = marked.php_string(part.format) if part.format is not None else "null"
            zone = self.zone(str(self.spec.timezone or "UTC"))  # a spec without one is refused
            return f"{self.fn('date')}({self.acc(key)}, {zone}, {fmt})"
        if key == "client_phone.raw":
            return f"{self.fn('text')}({self.acc('client_phone')})"
        if key == "client_phone" and self.client_number() is not None:
            return f"{self.client_number()}({self.fn('text')}({self.acc(key)}))"
        return f"{self.fn('text')}({self.acc(key)})"

    def phone_region(self) -> tuple[str | None, int | None]:
        """The region (and internal_max_digits) the client's numbers are read with in this file."""
        client = self.spec.phones.client if self.spec.phones else None
        own = self.c.section_of(self.spec) if self.c.name == "process_originate_params" else None
        region = (getattr(own, "region", None) if own is not None else None) or (client.region if client else None)
        internal = getattr(own, "internal_max_digits", None) if own is not None else None
        return region, internal if internal is not None else (client.internal_max_digits if client else None)

    def number_types(self) -> str:
        """The types (mobile, fixed_line...) of the client's number, as a PHP array expression."""
        if "number_types" not in self.accessors:
            from generator.emit.phones import calling_code_types

            region, internal = self.phone_region()
            if region is None:  # refused when the spec is loaded; belt and braces
                raise ValueError("number_type needs a region")
            parse = self.phone_parser(region, internal)
            types = marked.php_pretty(calling_code_types(region), indent=4, width=110)
            self.accessors["number_types"] = fields.function_of(
                "number_types",
                f"// the types of the client's number, by the numbering plan of {say(region)}",
                f"($values) {{\n    return {self.fn('number_types')}($values, {parse}, {types});\n}}\n",
            )
        return f"{self.accessors['number_types'][0]}({self.rewritten_client_phones()})"

    def client_phones(self) -> str | None:
        """The function that gives the client's numbers as sent and as the spec writes them (in
        originate with a region, in E.164 for it; elsewhere as phones.client writes them), or None
        when the spec writes them as they come."""
        if "client_phones" not in self.accessors:
            head = "($values) {\n    if (!is_array($values)) {\n        return $values;\n    }\n"
            if self.clicked is not None:
                region, internal = self.clicked
                parse = self.phone_parser(region, internal, self.clicked_strict)
                about = f"// the client's numbers as sent and in E.164, by the numbering plan of {say(region)}"
                rewritten = self.rewritten("$values")
                body = f"    return array_merge($values, {self.fn('phones_e164')}({rewritten}, {parse}));\n}}\n"
            else:
                writer = self.client_number()
                if writer is None:
                    return None
                about = "// the client's numbers as sent and as phones.client writes them"
                body = (
                    "    $out = $values;\n    foreach ($values as $value) {\n"
                    f"        $out[] = {writer}($value);\n    }}\n    return $out;\n}}\n"
                )
            self.accessors["client_phones"] = fields.function_of("client_phones", about, head + body)
        return self.accessors["client_phones"][0]

    def rewritten_client_phones(self) -> str:
        """The client's numbers (a PHP array expression) after the rewrites of the section that
        writes them here (`originate.rewrite` in click-to-call, else `phones.client.rewrite`), the
        numbers `country` and `number_type` judge: the README's own fix for callers who dial a
        prefix the plan does not know ("8 71 …" in Uzbekistan) is a rewrite."""
        return self.rewritten(self.acc("client_phone"))

    def rewritten(self, values: str) -> str:
        """`values` (a PHP array expression) through the client rewrites (see above)."""
        if self.c.name == "process_originate_params":
            path: KeyPath = ("originate",)
            rewrites = getattr(self.c.section_of(self.spec), "rewrite", [])
        else:
            client = self.spec.phones.client if self.spec.phones else None
            path, rewrites = ("phones", "client"), client.rewrite if client else []
        if not rewrites:
            return values
        if "client_rewritten" not in self.accessors:
            from generator.customizations.process_client_phone import phone_steps

            steps = phone_steps(self, path, "$value", "keep", None, rewrites, None, "")
            steps.append("$values[$i] = $value;")
            self.accessors["client_rewritten"] = fields.function_of(
                "client_rewritten",
                f"// the client's numbers after {'.'.join(map(str, path))}.rewrite",
                "($values) {\n    foreach ($values as $i => $value) { // a key's values: an array\n"
                + "".join(f"        {line}\n" for line in "\n".join(steps).split("\n"))
                + "    }\n    return $values;\n}\n",
            )
        return f"{self.accessors['client_rewritten'][0]}({values})"

    def countries(self) -> str:
        """The countries of the client's numbers (a PHP array expression), with the regions of the
        calling codes of every country the spec's conditions name, and of its own region."""
        if "countries" not in self.accessors:
            from generator.speclang.types import UNKNOWN_COUNTRY, whens

            named: set[str] = set()
            for when in whens(self.spec):
                if when.country is not None:
                    named |= set(when.country) - {UNKNOWN_COUNTRY}
            region, internal = self.clicked or self.phone_region()
            if region is None:  # refused when the spec is loaded; belt and braces
                raise ValueError("country needs a region")
            from generator.emit.phones import regions_literal, regions_table

            parse = self.phone_parser(region, internal)
            rows = regions_literal(regions_table((region, *sorted(named))), 4)
            self.accessors["countries"] = fields.function_of(
                "countries",
                f"// the countries of the client's numbers, read with the numbering plan of {say(region)}",
                f"($values) {{\n    return {self.fn('phone_countries')}($values, {parse}, {rows});\n}}\n",
            )
        return f"{self.accessors['countries'][0]}({self.rewritten_client_phones()})"

    def phone_parser(self, region: str, internal: int | None, strict: bool = True) -> str:
        """The name, as a PHP string, of the file's function that reads a number as libphonenumber
        does for `region` (written for that region: generator/emit/phones.py parser_code); the
        phone helpers of the runtime call it by that name."""
        key = f"phone_parse:{region}:{internal}:{strict}"
        if key not in self.accessors:
            from generator.emit.phones import parser_code

            about = (
                f"// a number as libphonenumber reads it in {say(region)}: array(calling code, national number, region)"
            )
            self.accessors[key] = fields.function_of(
                "phone_parse", about, parser_code(region, internal, strict, self.fn)
            )
        # Not marked as a literal: a name the file's helper block renames (emit/guard.py).
        return literals.php_string(self.accessors[key][0])

    def client_number(self) -> str | None:
        """The function that writes a number as `phones.client` says (what process_client_phone
        answers), or None when the spec leaves the client's number as it is."""
        client = self.spec.phones.client if self.spec.phones else None
        if client is None or (client.effective_format() == "keep" and not client.rewrite):
            return None
        if "client_number" not in self.accessors:
            from generator.customizations.process_client_phone import phone_steps

            fmt = client.effective_format()
            steps = phone_steps(
                self,
                ("phones", "client"),
                "$phone",
                fmt,
                client.region,
                client.rewrite,
                client.internal_max_digits,
                f"format {fmt}" + (f", region {client.region}" if client.region else ""),
                client.invalid == "keep",
            )
            # Each step leaves what is not text as it is (preg_replace and the phone helpers do):
            # the last one's value is the answer.
            lines = "\n".join(steps).split("\n")
            if lines[-1].startswith("$phone = "):
                lines[-1] = "return " + lines[-1].removeprefix("$phone = ")
            else:
                lines.append("return $phone;")
            self.accessors["client_number"] = fields.function_of(
                "client_number",
                "// phones.client: the client's number as process_client_phone.php answers it",
                "($phone) {\n" + "".join(f"    {line}\n" for line in lines) + "}\n",
            )
        return self.accessors["client_number"][0]

    def _escape(self, expr: str, escape: str | None, key: str | None = None) -> str:
        if escape == "html":
            # The recording (a path or URL in a link): bytes that are not UTF-8 as %XX.
            return f"{self.fn('html')}({expr}, {marked.php_bool(key == 'record')})"
        if escape == "url":
            return f"rawurlencode({expr})"
        if escape == "json":
            return f"{self.fn('json_text')}({expr})"
        return expr

    def value(self, value: Any, indent: int = 0, wrap: bool = False) -> str:
        """A value of a `set` as a PHP expression: literals as they are, texts with placeholders
        filled at call time (`wrap`: see template), lists and maps member by member."""
        if isinstance(value, str):
            parts = placeholders.parse(value)
            if placeholders.has_placeholders(parts):
                return self.reply_text(self.template(value, wrap=wrap))
            return marked.php_string("".join(p for p in parts if isinstance(p, str)))
        if isinstance(value, dict):
            items = [f"{marked.php_string(str(k))} => {self.value(v, indent + 1)}" for k, v in value.items()]
            return self._array(items, indent)
        if isinstance(value, list):
            return self._array([self.value(v, indent + 1) for v in value], indent)
        return marked.php_value(value)

    @staticmethod
    def _array(items: list[str], indent: int) -> str:
        flat = "array(" + ", ".join(items) + ")"
        if len(flat) <= 80 and "\n" not in flat:
            return flat
        pad = IND * (indent + 1)
        return "array(\n" + "".join(f"{pad}{item},\n" for item in items) + IND * indent + ")"

    def assignments(self, target: str, values: dict[str, Any]) -> list[str]:
        out = []
        for key, value in values.items():
            expr = self.value(value, wrap=True)  # a top-level text one part per line when long
            out.extend(f"{target}[{marked.php_string(str(key))}] = {expr};".split("\n"))
        return out

    # --- rules ---------------------------------------------------------------------------
    def set_and_rules(self, section_path: KeyPath, section: Any, target: str, cancel: str) -> list[str]:
        """`set` on every call, then each rule whose conditions hold, in order; a rule that
        cancels returns `cancel` at once."""
        lines: list[str] = []
        if section.set:
            lines.append(self.comment(section_path + ("set",)))
            lines += self.assignments(target, section.set)
        for i, rule in enumerate(section.rules):
            lines += self.rule(section_path + ("rules", i), rule, target, cancel)
        return lines

    def rule(self, path: KeyPath, rule: Rule, target: str, cancel: str) -> list[str]:
        tests, words = self.when(rule.when)
        if rule.cancels():
            body = [*self.decided(path), f"return {cancel};"]
            outcome = " -> cancel"
        else:
            body = [*self.decided(path), *self.assignments(target, rule.set)]
            outcome = ""
        return [self.comment(path, words + outcome)] + self.if_block(tests, body)


@dataclass(frozen=True)
class Customization:
    """One of the fourteen customization files.  A module per customization subclasses this with
    how its section compiles (`body`), what it answers unchanged (`passthrough`), how `explain`
    describes it, and whether it may cancel the connector's request."""

    name: str
    section: str  # the spec key that drives it ("phones.client" for nested ones)
    summary: str
    keys: tuple[str, ...] = ()
    can_cancel: bool = False  # runs right before a Bitrix24 request, so empty data cancels it
    inputs: tuple[str, ...] = ("call_full", "call_stage")  # the documented top-level keys of its input

    @property
    def filename(self) -> str:
        return f"{self.name}.php"

    @property
    def template(self) -> str:
        return f"{self.name}.php.j2"

    @property
    def section_path(self) -> tuple[str, ...]:
        return tuple(self.section.split("."))

    def section_of(self, spec: Any) -> Any:
        """The spec section that drives this customization, or None for a pass-through."""
        node = spec
        for part in self.section_path:
            node = getattr(node, part, None) if node is not None else None
        return node

    def entry(self, spec_name: str) -> str:
        """The entry function's name: stable while the spec's rules change (so diffs stay small),
        distinct per customization and spec (two specs' files may share a PHP process)."""
        digest = hashlib.sha256(spec_name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        return f"{PREFIX}{self.name}_{digest}"

    def placeholders(self) -> tuple[str, ...]:
        """The placeholders this customization's input can provide (the field table's sources that
        start at one of its documented input keys); `{input.*}` always, `{call_full.*}` with call data."""
        from generator.emit.fields import sources_for
        from generator.speclang.placeholders import NAMES

        names = [n for n in NAMES if any(s.path[0] in self.inputs for s in sources_for(n, self.name))]
        if "duration" not in names and "call_full" in self.inputs:
            names.append("duration")  # computed from the channel's answer and end times
        return tuple(n for n in NAMES if n in names)

    # --- to override ---------------------------------------------------------------------
    def passthrough(self, ctx: FileContext) -> str:
        """The reply (a PHP expression over $params) when the spec leaves this section out."""
        return f"{ctx.fn('reply')}({ctx.fn('pick')}($params, {marked.php_array(list(self.keys))}))"

    def body(self, section: Any, ctx: FileContext) -> dict[str, Any]:
        """The template's variables: lines of statements (indented into the entry function) or
        single expressions, by name."""
        raise NotImplementedError

    def may_cancel(self, section: Any) -> bool:
        """Whether the file can answer with empty data (cancel the connector's request)."""
        return False

    def explain(self, section: Any, spec: Any) -> list[str]:
        return ["Nothing changes."]
