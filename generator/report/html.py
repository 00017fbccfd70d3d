"""The report as one self-contained HTML file: inline CSS, no network, no external asset, readable
without JavaScript (a small inline script only adds filtering).  Every text that comes from a spec,
a scenario or a call goes through `e()` (HTML escaping): a name such as `<script>` is shown, never
run."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field

from generator.simulate.runner import Row, Timeline
from generator.simulate.timeline import CANCELLED, reply_text


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass
class CaseLine:
    name: str
    customization: str
    passed: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class ServerSummary:
    name: str
    calls: int
    skipped: str
    probe: list[tuple[str, int, int]]  # key, calls where it applies, calls where a value was found
    replay: list[tuple[str, int, int]]  # customization, calls, changed
    changed: int
    note: str = ""


@dataclass
class SpecReport:
    name: str
    path: str
    explain: str  # Markdown
    days_off: list[str]
    workdays: list[str]
    timelines: list[Timeline]
    cases: list[CaseLine]
    servers: list[ServerSummary] = field(default_factory=list)
    problem: str = ""  # why a part could not be built (scenarios that do not load, ...)


CSS = """
:root { --ok: #17663a; --bad: #b42318; --muted: #5b6470; --line: #d7dce2; --pbx: #f3f0ff; --con: #eef6ff; --b24: #effaf3; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d2530; background: #fff; }
header, main { max-width: 1200px; margin: 0 auto; padding: 0 16px; }
header { padding-top: 16px; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.35em; margin-top: 32px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.1em; margin-top: 24px; } h4 { margin: 16px 0 4px; font-size: 1em; }
code { font: 0.92em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.mark { display: inline-block; padding: 0 8px; border-radius: 10px; font-weight: 600; font-size: 0.9em; }
.mark.pass { background: #dcfae6; color: var(--ok); } .mark.fail { background: #fee4e2; color: var(--bad); }
.summary { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 8px 0 16px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f6f8fa; }
table.lanes td.t { white-space: nowrap; font-variant-numeric: tabular-nums; }
table.lanes td.pbx { background: var(--pbx); } table.lanes td.con { background: var(--con); } table.lanes td.b24 { background: var(--b24); }
td.b24 .cancelled { color: var(--bad); font-weight: 600; }
td .stage { display: block; color: var(--muted); font-size: 0.85em; }
ul.failures { color: var(--bad); }
.explain-body { columns: 2 30em; column-gap: 32px; } .explain-body h4 { break-after: avoid; } .explain-body ul { break-inside: avoid-column; }
.days { columns: 4 10em; font-variant-numeric: tabular-nums; }
#filters { display: none; gap: 12px; align-items: center; padding: 8px 0; }
.js #filters { display: flex; flex-wrap: wrap; }
.hidden { display: none; }
@media (max-width: 700px) {
  table.lanes thead { display: none; }
  table.lanes tr { display: block; border-bottom: 2px solid var(--line); }
  table.lanes td { display: block; border: 0; }
  table.lanes td:empty { display: none; }
  table.lanes td::before { content: attr(data-lane); display: block; font-size: 0.75em; color: var(--muted); text-transform: uppercase; }
  .days { columns: 2 8em; }
}
"""

SCRIPT = """
(function () {
  document.documentElement.className += ' js';
  var text = document.getElementById('filter-text');
  var failing = document.getElementById('filter-failing');
  function apply() {
    var needle = text.value.toLowerCase();
    var items = document.querySelectorAll('[data-filter]');
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      var show = (!failing.checked || item.getAttribute('data-status') === 'fail') &&
        (needle === '' || item.textContent.toLowerCase().indexOf(needle) !== -1);
      item.classList.toggle('hidden', !show);
    }
  }
  text.addEventListener('input', apply);
  failing.addEventListener('change', apply);
})();
"""


def markdown(text: str) -> str:
    """The explain text's Markdown (headings, bullets, emphasis, code) as HTML, escaped first."""
    out: list[str] = []
    in_list = False

    def inline(line: str) -> str:
        line = e(line)
        line = re.sub(r"`([^`]+)`", r"<code>\1</code>", line)
        line = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", line)
        return re.sub(r"(?<![\w*])\*([^*]+)\*(?![\w*])", r"<em>\1</em>", line)

    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(line[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if not line:
            continue
        if line.startswith("## "):
            out.append(f"<h4>{inline(line[3:])}</h4>")
        elif line.startswith("# "):
            continue  # the spec's own heading is the section's
        else:
            out.append(f"<p>{inline(line)}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _mark(passed: bool) -> str:
    return '<span class="mark pass">✔ pass</span>' if passed else '<span class="mark fail">✘ FAIL</span>'


def _connector_cell(row: Row) -> str:
    if row.customization is None:
        return ""
    body = reply_text(row)
    return f"<code>{e(row.customization)}</code>" + (f"<br>{e(body)}" if body else "")


def _bitrix_cell(row: Row) -> str:
    if row.cancelled:
        what = "no finish (need_registration: false)" if row.customization == "need_registration" else CANCELLED
        return f'<span class="cancelled">{e(what)}</span>'
    if row.request is None:
        return ""
    params = json.dumps(row.request["params"], ensure_ascii=False)
    if len(params) > 600:
        params = params[:599] + "…"
    return f"<code>{e(row.request['method'])}</code><br><code>{e(params)}</code>"


def lanes(timeline: Timeline) -> str:
    """The call in three swimlanes: the PBX (Asterisk), the connector with each customization,
    Bitrix24's request (or its cancelling)."""
    rows: list[str] = []
    for n, event in enumerate(timeline.events):
        rows.append(
            f'<tr class="event"><td class="t" data-lane="time">{e(f"{event.t:%H:%M:%S}")}</td>'
            f'<td class="pbx" data-lane="Asterisk">{e(event.text)}</td><td class="con" data-lane="connector"></td>'
            f'<td class="b24" data-lane="Bitrix24"></td></tr>'
        )
        for row in timeline.rows:
            if row.moment != n:
                continue
            rows.append(
                f'<tr class="step" data-stage="{e(row.stage)}"><td class="t" data-lane="time">'
                f'{e(f"{row.t:%H:%M:%S}")}<span class="stage">{e(row.stage)}</span></td>'
                f'<td class="pbx" data-lane="Asterisk"></td>'
                f'<td class="con" data-lane="connector">{_connector_cell(row)}</td>'
                f'<td class="b24" data-lane="Bitrix24">{_bitrix_cell(row)}</td></tr>'
            )
    return (
        '<div class="scroll"><table class="lanes"><thead><tr><th>time</th><th>Asterisk</th>'
        "<th>connector (customization: reply)</th><th>Bitrix24</th></tr></thead><tbody>"
        + "\n".join(rows)
        + "</tbody></table></div>"
    )


def scenario(timeline: Timeline) -> str:
    sc = timeline.item.scenario
    tested = sc.expect is not None
    status = ("pass" if timeline.passed else "fail") if tested else "info"
    mark = _mark(timeline.passed) if tested else '<span class="mark">no expect</span>'
    what = "missed in the IVR" if sc.ivr else ("answered" if sc.answered else "missed")
    trunk = " ".join(x for x in (sc.trunk.name, sc.trunk.number) if x)
    problems = timeline.failures + timeline.problems
    failures = '<ul class="failures">' + "".join(f"<li>{e(p)}</li>" for p in problems) + "</ul>" if problems else ""
    return (
        f'<article class="scenario {status}" data-filter data-status="{status}">'
        f"<h4>{mark} {e(sc.name)}</h4>"
        f'<p class="muted">{e(sc.direction)} call, {e(what)}; client <code>{e(sc.client)}</code>'
        + (f"; trunk {e(trunk)}" if trunk else "")
        + f"; {e(sc.start)}; <code>{e(timeline.item.path)}</code></p>"
        + (f"<p>{e(sc.description)}</p>" if sc.description else "")
        + failures
        + lanes(timeline)
        + "</article>"
    )


def _cases(cases: list[CaseLine]) -> str:
    if not cases:
        return '<p class="muted">No golden cases.</p>'
    rows = []
    for case in cases:
        status = "pass" if case.passed else "fail"
        problems = "<br>".join(e(p) for p in case.problems)
        rows.append(
            f'<tr data-filter data-status="{status}"><td>{_mark(case.passed)}</td><td><code>{e(case.name)}</code></td>'
            f"<td><code>{e(case.customization)}</code></td><td>{problems}</td></tr>"
        )
    return (
        '<div class="scroll"><table class="cases"><thead><tr><th>result</th><th>case</th><th>customization</th>'
        "<th>problems</th></tr></thead><tbody>" + "\n".join(rows) + "</tbody></table></div>"
    )


def _calendar(spec: SpecReport) -> str:
    if not spec.days_off and not spec.workdays:
        return '<p class="muted">No calendar: hours are the same every week.</p>'
    out = ""
    if spec.days_off:
        out += f"<h4>Days off ({len(spec.days_off)})</h4><ul class='days'>"
        out += "".join(f"<li>{e(d)}</li>" for d in spec.days_off) + "</ul>"
    if spec.workdays:
        out += f"<h4>Weekend days worked ({len(spec.workdays)})</h4><ul class='days'>"
        out += "".join(f"<li>{e(d)}</li>" for d in spec.workdays) + "</ul>"
    return out


def _servers(servers: list[ServerSummary]) -> str:
    out = []
    for server in servers:
        probe = "".join(
            f"<tr><td><code>{e(k)}</code></td><td>{n}</td><td>{found}</td></tr>" for k, n, found in server.probe
        )
        replay = "".join(
            f'<tr data-status="{"fail" if changed else "pass"}"><td><code>{e(c)}</code></td><td>{n}</td><td>{changed}</td></tr>'
            for c, n, changed in server.replay
        )
        out.append(
            f'<article class="server"><h4>{e(server.name)}</h4>'
            f"<p>{server.calls} captured calls; {server.changed} would now get another reply"
            + (f"; skipped: {e(server.skipped)}" if server.skipped else "")
            + (f"; {e(server.note)}" if server.note else "")
            + "</p>"
            + '<div class="scroll"><table><thead><tr><th>key (fields --probe)</th><th>applies</th><th>found</th></tr>'
            + f"</thead><tbody>{probe}</tbody></table></div>"
            + '<div class="scroll"><table><thead><tr><th>customization (replay)</th><th>calls</th><th>changed</th></tr>'
            + f"</thead><tbody>{replay}</tbody></table></div></article>"
        )
    return "\n".join(out)


def page(specs: list[SpecReport], with_logs: bool) -> str:
    total = sum(len(s.cases) for s in specs) + sum(
        1 for s in specs for t in s.timelines if t.item.scenario.expect is not None
    )
    failed = sum(1 for s in specs for c in s.cases if not c.passed) + sum(
        1 for s in specs for t in s.timelines if t.item.scenario.expect is not None and not t.passed
    )
    toc = "".join(f'<li><a href="#spec-{i}">{e(s.name)}</a></li>' for i, s in enumerate(specs))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>itgrix-gen report: " + e(", ".join(s.name for s in specs)) + "</title>",
        f"<style>{CSS}</style></head><body>",
        "<header><h1>What Bitrix24 will get: " + e(", ".join(s.name for s in specs)) + "</h1>",
        f'<p class="summary"><span>{total} tests (golden cases and scenarios)</span>'
        f"<span>{_mark(failed == 0)} {failed} failing</span></p>",
        f"<nav><ul>{toc}</ul></nav>",
        '<div id="filters"><label>Filter <input id="filter-text" type="search" placeholder="extension, method, text"></label>'
        '<label><input id="filter-failing" type="checkbox"> failing only</label></div></header><main>',
    ]
    for i, spec in enumerate(specs):
        parts.append(
            f'<section class="spec" id="spec-{i}"><h2>{e(spec.name)} <small class="muted"><code>{e(spec.path)}</code></small></h2>'
        )
        if spec.problem:
            parts.append(f'<p class="mark fail">{e(spec.problem)}</p>')
        parts.append(
            f'<section class="explain"><h3>What the spec does</h3><div class="explain-body">{markdown(spec.explain)}</div></section>'
        )
        parts.append(f'<section class="calendar"><h3>Calendar</h3>{_calendar(spec)}</section>')
        parts.append('<section class="scenarios"><h3>Calls, step by step</h3>')
        if not spec.timelines:
            parts.append('<p class="muted">No scenarios (scenarios/*.yaml beside the spec).</p>')
        parts.extend(scenario(t) for t in spec.timelines)
        parts.append("</section>")
        parts.append(f'<section class="cases"><h3>Golden cases</h3>{_cases(spec.cases)}</section>')
        if with_logs:
            servers = _servers(spec.servers) or '<p class="muted">No capture log of this spec.</p>'
            parts.append(f'<section class="servers"><h3>Real calls per server</h3>{servers}</section>')
        parts.append("</section>")
    parts.append(f"</main><script>{SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"
