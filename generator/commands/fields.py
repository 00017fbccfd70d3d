"""`itgrix-gen fields`: the table of input paths each condition key and placeholder reads, or with
--probe, how often each path found a value on real calls, in total and per target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator import progress
from generator.commands import specs as found
from generator.commands.say import Say
from generator.errors import UsageProblem


def fields(
    logs: list[Path], probe: bool, spec: str | None, format: str, jobs: int | None, root: Path | None, say: Say
) -> int:
    """Exit code 1 when, probing, a key the spec uses found nothing on any one target in the calls of
    a customization that reads it, else 0.  `jobs`: processes reading large logs (default: one per core)."""
    from generator.emit.fields import markdown_table

    if format not in ("text", "json"):
        raise UsageProblem(f"--format {format!r}: text or json")
    loaded = found.one(spec, root, say) if spec else None
    overrides = loaded.spec.fields if loaded else None
    if not probe:
        if logs:
            raise UsageProblem("capture logs are read with --probe: itgrix-gen fields --probe LOG...")
        say.write(markdown_table(overrides) + "\n")
        return 0
    from generator.capture import probe as probing

    if not logs:
        raise UsageProblem("name at least one capture log (a .jsonl file or the folder that holds them)")
    files = probing.target_files(logs)
    used = probing.keys_used(loaded) if loaded else {}
    with progress.bar(None, "reading calls") as tick:
        result = probing.probe(files, overrides, tick, jobs, used)
    probing.require_calls(result, files)
    if result.skipped:
        say.err(f"skipped: {', '.join(f'{n} {r}' for r, n in sorted(result.skipped.items()))}")
    failures = result.failing(used)
    if format == "json":
        say.write(json.dumps(result.as_json(used), indent=2, ensure_ascii=False) + "\n")
    else:
        _probe_text(result, used, say)
    for key, target, calls, where in failures:
        # A key found in none of the target's calls keeps the short line; one found in another
        # customization's calls only names the customizations whose calls lack it.
        part = "" if not result.targets[target].keys[key].resolved else f" in {', '.join(where)}"
        there = " there" if part else ""
        say.err(f"error: the spec reads {key}{part}, which no call of {target} provided{there} ({calls} calls)")
    return 1 if failures else 0


def _probe_text(found: Any, used: dict[str, set[str]], say: Say) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=f"{found.calls} captured calls"
        + (f" from {len(found.targets)} targets" if len(found.targets) > 1 else "")
    )
    table.add_column("key")
    table.add_column("applies")
    table.add_column("found")
    table.add_column("source paths (calls with a value)")
    for key, report in found.keys.items():
        if not report.calls:
            continue
        style = "red" if not report.resolved else ("yellow" if report.resolved < report.calls else "green")
        table.add_row(
            key + (" (the spec uses it)" if key in used else ""),
            str(report.calls),
            f"[{style}]{report.resolved}[/]",
            escape("\n".join(f"{path}: {n}" for path, n in report.sources.most_common()) or "-"),
        )
    say.out(table, markup=True)
    if len(found.targets) > 1:
        failing = {(k, name): where for k, name, _n, where in found.failing(used)}
        for name, t in sorted(found.targets.items()):
            empty = [k for k, r in t.keys.items() if r.calls and not r.resolved]
            # A key the spec reads fails where a customization that reads it found nothing.
            mine = (
                [
                    k if not t.keys[k].resolved else f"{k} (in {', '.join(failing[(k, name)])})"
                    for k in t.keys
                    if (k, name) in failing
                ]
                if used
                else empty
            )
            others = len([k for k in empty if k not in used])
            said = (
                (f"; found nothing for {', '.join(mine)}" if mine else "; every key the spec uses found a value")
                + (f" (and for {others} key(s) the spec does not use)" if used and others else "")
                if empty or mine
                else "; every key found a value"
            )
            say.out(f"{name}: {t.calls} calls{said}")
    for name, t in sorted(found.targets.items()):
        if t.old_connector:
            shown = sorted((p for p in t.unread if not p.startswith("call_full.")), key=lambda p: (-t.unread[p], p))
            say.out(
                f"{name}: a connector older than 3.10 ({t.old_root} calls carry the root call/conversation and no "
                "call_full, which the field table reads). The same facts there:\n  "
                + "\n  ".join(t.old_paths())
                + ("\n  paths these calls carry: " + ", ".join(shown[:12]) if shown else "")
            )
    unread = found.unread
    if unread:
        say.out("Paths in the calls that the table never reads (calls):")
        for path in sorted(unread, key=lambda p: (-unread[p], p))[:20]:
            say.out(f"  {path}: {unread[path]}")
        if len(unread) > 20:
            say.out(f"  … and {len(unread) - 20} more (--format json lists them all)")
    _suggestions(found, used, say)


def _suggestions(found: Any, used: dict[str, set[str]], say: Say) -> None:
    shown = {k: s for k, s in found.suggestions.items() if not used or k in used}
    good = {k: s for k, s in shown.items() if s.fixes}
    if good:
        gains = "; ".join(
            f"{target}: {', '.join(k for k, s in good.items() if target in s.fixes)}"
            for target in sorted({t for s in good.values() for t in s.fixes})
        )
        say.out(
            f"Checked on all {found.checked_calls} calls of {len(found.targets)} target(s), this gives a value where "
            f"there was none ({gains}) and changes no value any call already had; add it to the spec:\n  fields:"
        )
        for key, s in good.items():
            paths = ", ".join(s.paths)
            say.out(f"    {key}: " + (f"{{replace: [{paths}]}}" if s.replace else f"[{paths}]"))
    for key, s in shown.items():
        if s.unfixed and used:
            why = (
                "every path that looks like it would change what other calls read"
                if s.tried
                else "no path in their calls looks like it"
            )
            say.out(
                f"{key}: no override found for {', '.join(s.unfixed)} ({why}); read it with a `field:` condition or a "
                "{call_full.…} placeholder"
            )
    hidden = sorted(k for k, s in found.suggestions.items() if s.fixes and k not in shown)
    if hidden:
        say.out(f"(overrides for keys the spec does not use: {', '.join(hidden)}; --format json)")
