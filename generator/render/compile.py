"""Turn a validated spec section into the plain configuration data a template needs.

Everything here is plain Python data (dicts, lists, text, numbers); the renderer turns it into one
PHP literal with generator.php.literals, so no spec text is ever pasted into PHP source.  Regexes
become delimited PCRE sources here (literals.regex_source) for the same reason.
"""

from __future__ import annotations

from typing import Any

from generator.php.literals import regex_source
from generator.render import fields
from generator.render.customizations import Customization, section_of
from generator.render.phones import region_metadata
from generator.spec import placeholders
from generator.spec.models import DAYS, Match, PhoneSection, Spec, When


class Compiler:
    def __init__(self, spec: Spec, customization: Customization):
        self.spec = spec
        self.c = customization
        self.section = section_of(spec, customization)

    # --- building blocks ---------------------------------------------------------------
    def sources(self, key: str) -> list[dict]:
        return fields.sources_for(key, self.c.name)

    def test(self, match: Match) -> dict:
        out: dict = {}
        if match.values:
            out["in"] = list(match.values)
        if match.regexes:
            out["regex"] = [regex_source(r) for r in match.regexes]
        return out

    def when(self, when: When) -> list[dict]:
        conds: list[dict] = []
        for key in ("direction", "stage"):
            value = getattr(when, key)
            if value is not None:
                conds.append({"kind": "match", "sources": self.sources(key), "test": {"in": list(value)}})
        for key in ("extension", "trunk", "client_phone", "line", "status"):
            value = getattr(when, key)
            if value is not None:
                conds.append({"kind": "match", "sources": self.sources(key), "test": self.test(value)})
        for key in ("answered", "is_ivr"):
            value = getattr(when, key)
            if value is not None:
                conds.append({"kind": "bool", "sources": self.sources(key), "value": value})
        if when.hours is not None or when.days is not None:
            conds.append(self.hours(when))
        for fc in when.field or ():
            conds.append({"kind": "match", "sources": [{"path": list(fc.keys())}], "test": self.test(fc.match())})
        return conds

    def hours(self, when: When) -> dict:
        hours = when.hours
        zone = (hours.timezone if hours and hours.timezone else None) or when.timezone or self.spec.timezone
        days = list(hours.days) if hours and hours.days else []
        if when.days:
            days = list(when.days)
        day_numbers = [DAYS.index(d) + 1 for d in days]
        windows = hours.minutes() if hours else [(0, 24 * 60)]
        return {"kind": "hours", "windows": [
            {"from": start, "to": end, "days": day_numbers, "tz": zone} for start, end in windows
        ]}

    def template(self, text: str, escape: str | None = None) -> list:
        out: list = []
        for part in placeholders.parse(text):
            if isinstance(part, str):
                out.append(part)
                continue
            path = part.path
            srcs = fields.path_source(path) if path is not None else self.sources(part.name)
            out.append({"sources": srcs, "esc": escape})
        return out

    def value(self, value: Any) -> list:
        if isinstance(value, str):
            parts = self.template(value)
            if all(isinstance(p, str) for p in parts):
                return ["l", "".join(parts)]
            return ["t", parts]
        if isinstance(value, list):
            return ["a", [self.value(v) for v in value]]
        if isinstance(value, dict):
            return ["a", {str(k): self.value(v) for k, v in value.items()}]
        return ["l", value]

    def set_map(self, values: dict) -> dict:
        return {str(k): self.value(v) for k, v in values.items()}

    def rules(self, rules) -> list[dict]:
        return [{"when": self.when(r.when), "set": self.set_map(r.set), "cancel": r.cancels()} for r in rules]

    def phone(self, section: PhoneSection | None, fmt: str | None = None, region: str | None = None,
              rewrite=None, internal=None) -> dict:
        fmt = fmt if fmt is not None else (section.effective_format() if section else "keep")
        region = region if region is not None else (section.region if section else None)
        rewrite = rewrite if rewrite is not None else (section.rewrite if section else [])
        internal = internal if internal is not None else (section.internal_max_digits if section else None)
        return {
            "format": fmt,
            "rewrite": [[regex_source(r.match), r.replace] for r in rewrite],
            "region": region_metadata(region, internal) if region and fmt != "keep" else None,
        }

    # --- per customization ---------------------------------------------------------------
    def config(self) -> dict | None:
        s = self.section
        if s is None:
            return None
        cfg: dict = {"dir": self.sources("direction")}
        name = self.c.name
        if name == "need_registration":
            cfg["default"] = s.default == "register"
            cfg["rules"] = [{"when": self.when(r.when), "register": r.then == "register"} for r in s.rules]
        elif name in ("process_client_phone", "process_user_phone"):
            cfg["phone"] = self.phone(s)
        elif name == "process_record_file_path":
            cfg["rewrite"] = [[regex_source(r.match), r.replace] for r in s.rewrite]
            cfg["convert"] = None
            if s.convert is not None:
                cfg["convert"] = {"command": _shell_parts(s.convert.command), "ext": s.convert.extension,
                                  "timeout": float(s.convert.timeout_s)}
        elif name == "post_registration":
            hook = s.webhook
            cfg["hook"] = None
            if hook is not None:
                cfg["hook"] = {
                    "url": self.template(hook.url, "url"),
                    "method": hook.method,
                    "timeout": float(hook.timeout_s),
                    "headers": {k: self.template(v) for k, v in hook.headers.items()},
                    "body": self.template(hook.body) if hook.body is not None else None,
                    "json": self.value(hook.json_) if hook.json_ is not None else None,
                    "when": self.when(hook.when),
                }
        else:
            cfg["set"] = self.set_map(s.set)
            cfg["rules"] = self.rules(s.rules)
            if name == "process_task_creation_params":
                cfg["deadline"] = float(s.deadline_hours) if s.deadline_hours is not None else None
                cfg["tz"] = s.timezone or self.spec.timezone or "UTC"
            elif name == "process_originate_params":
                client = self.spec.phones.client if self.spec.phones else None
                region = s.region or (client.region if client else None)
                if s.format != "keep" and region is None:
                    raise ValueError("originate.format needs originate.region or phones.client.region")
                cfg["dial"] = {"phone": self.phone(None, s.format, region, s.rewrite, s.internal_max_digits),
                               "last": s.last_digits or 0, "prefix": s.prefix}
            elif name == "customize_autodistribution":
                cfg["callerid"] = self.template(s.callerid_name) if s.callerid_name is not None else None
            elif name == "customize_show_call_card":
                cfg["show_on"] = list(s.show_on) if s.show_on is not None else None
            elif name == "customize_attach_record_url":
                html = (s.description_type or 3) == 3
                cfg["description"] = (self.template(s.description, "html" if html else None)
                                      if s.description is not None else None)
                cfg["type"] = s.description_type
        return cfg


def _shell_parts(command: str) -> list:
    """Split "lame {src} {dst}" into text and 0 (source) / 1 (target) markers; the PHP side puts
    escapeshellarg()-quoted paths where the markers are."""
    out: list = []
    rest = command
    while rest:
        i_src, i_dst = rest.find("{src}"), rest.find("{dst}")
        candidates = [(i, m) for i, m in ((i_src, 0), (i_dst, 1)) if i >= 0]
        if not candidates:
            out.append(rest)
            break
        i, marker = min(candidates)
        if i:
            out.append(rest[:i])
        out.append(marker)
        rest = rest[i + 5:]
    return out
