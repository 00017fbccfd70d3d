"""`itgrix-gen cases import`: captured calls become golden case folders beside the spec, one per
distinct decision (customization and the rule that decided), named after both, so that importing
the same logs again adds nothing."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.capture.log import Capture, Entry
from generator.capture.redact import redact, redact_key
from generator.cases import CaseError, pretty
from generator.speclang.loader import LoadedSpec


def case_name(entry: Entry) -> str:
    """ "need_registration" + "registration.rules[1]" -> "need_registration-registration-rules-1"."""
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", entry.decided_by).strip("-") or "default"
    return f"{entry.customization}-{slug}"[:120]


@dataclass
class Imported:
    written: list[Path] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)  # decisions that already have a case
    failed: list[str] = field(default_factory=list)  # the spec's file failed on the call: no case


def import_cases(
    loaded: LoadedSpec, capture: Capture, php: str | None, redacted: bool = False, limit: int | None = None
) -> Imported:
    from generator.capture.replay import run_entries

    cases_dir = loaded.path.parent / "cases"
    done = Imported()
    chosen: dict[str, Entry] = {}
    key = redact_key(loaded.spec.name)
    for entry in capture.entries:
        name = case_name(entry)
        if name in chosen:
            continue
        if (cases_dir / name).exists():
            if name not in done.existing:
                done.existing.append(name)
            continue
        if limit is not None and len(chosen) >= limit:
            break
        if redacted:
            entry = Entry(**{**entry.__dict__, "input": redact(entry.input, key)})
        chosen[name] = entry
    if not chosen:
        return done
    results = run_entries(loaded, list(chosen.values()), php)
    try:
        cases_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CaseError(f"{cases_dir}: cannot create: {exc.strerror or exc}") from None
    for (name, entry), result in zip(chosen.items(), results, strict=True):
        if not result.clean:
            done.failed.append(f"{name} ({entry.where}): {result.crash or '; '.join(result.errors) or 'no reply'}")
            continue
        meta = (
            f"customization: {entry.customization}\n"
            f"description: {json.dumps(f'captured {entry.where}; decided by {entry.decided_by}', ensure_ascii=False)}\n"
            f"now: {json.dumps(entry.at)}\n"
        )
        # Written whole in a scratch folder, then renamed: never a half-written case.
        with tempfile.TemporaryDirectory(prefix=".import-", dir=cases_dir) as tmp:
            scratch = Path(tmp) / name
            scratch.mkdir()
            (scratch / "case.yaml").write_text(meta, encoding="utf-8")
            (scratch / "input.json").write_text(pretty(entry.input), encoding="utf-8")
            (scratch / "expected.json").write_text(pretty(result.reply), encoding="utf-8")
            try:
                scratch.rename(cases_dir / name)
            except OSError as exc:
                shutil.rmtree(scratch, ignore_errors=True)
                raise CaseError(f"{cases_dir / name}: cannot write: {exc.strerror or exc}") from None
        done.written.append(cases_dir / name)
    return done
