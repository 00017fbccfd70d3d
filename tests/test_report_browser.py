"""The report in a real browser: headless Chromium (Debian's package; scripts/install.sh installs it
for these tests only) opens the file; the tests read the DOM it built (timeline rows, Bitrix24
requests, pass/fail marks, the filter the script adds), check that no console message appeared,
and keep screenshots at 1280 px and at a phone's width in tmp/artefacts/ (not committed).

Without Chromium these tests skip with the reason on a developer's machine and FAIL in CI (CI=true),
so that a CI run never passes without having opened the report."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import ROOT, cli_here

ARTEFACTS = ROOT / "tmp" / "artefacts"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    why = "Chromium is not installed (scripts/install.sh installs it: apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(why + "; CI must open the report in a real browser")
    pytest.skip(why)


def browse(html: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Chromium headless on a file: its own profile (tests run in parallel), no sandbox (CI runs
    as root in a container), console messages on stderr."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
            html.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )


class Dom(HTMLParser):
    """The elements of the DOM Chromium dumped: (tag, attributes, text inside)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self.open: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}, []))
        if tag not in ("meta", "input", "br", "img", "link"):
            self.open.append(len(self.elements) - 1)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            index = self.open.pop()
            if self.elements[index][0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for index in self.open:
            self.elements[index][2].append(data)

    def find(self, tag: str, cls: str | None = None) -> list[tuple[dict[str, str], str]]:
        return [
            (attrs, "".join(text))
            for t, attrs, text in self.elements
            if t == tag and (cls is None or cls in attrs.get("class", "").split())
        ]


def dump(html: Path, tmp_path: Path) -> tuple[Dom, str]:
    done = browse(html, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = Dom()
    dom.feed(done.stdout)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return dom, "\n".join(console)


def screenshot(html: Path, tmp_path: Path, width: int, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTEFACTS / name
    done = browse(html, tmp_path, f"--window-size={width},2400", f"--screenshot={target}", "--hide-scrollbars")
    assert done.returncode == 0 and target.is_file() and target.stat().st_size > 10_000, done.stderr[-2000:]
    return target


def test_the_example_report_in_a_real_browser(tmp_path: Path, php: str) -> None:
    chromium()
    report = tmp_path / "report.html"
    done = cli_here("report", "specs/example/spec.yaml", "-o", str(report))
    assert done.returncode == 0, done.stderr
    dom, console = dump(report, tmp_path)
    assert not console, console
    # Self-contained: nothing the browser would fetch (addresses in the text are only text).
    assert not any(attrs.get("src") for _t, attrs, _x in dom.elements)
    assert not any(t in ("link", "img", "iframe", "object", "embed") for t, _a, _x in dom.elements)
    assert all(attrs["href"].startswith("#") for attrs, _ in dom.find("a") if "href" in attrs)
    style = dom.find("style")[0][1]
    assert "url(" not in style and "@import" not in style
    html_tag = dom.find("html")[0][0]
    assert "js" in html_tag.get("class", "").split()  # the script ran to its end
    scenarios = dom.find("article", "scenario")
    assert len(scenarios) == 5
    assert all(attrs["data-status"] == "pass" for attrs, _ in scenarios)
    marks = [t for _, t in dom.find("span", "mark")]
    assert marks.count("✔ pass") >= 5 + 40 and not any("FAIL" in m for m in marks)
    steps = dom.find("tr", "step")
    assert len(steps) > 60
    bitrix = " ".join(t for _, t in dom.find("td", "b24"))
    for method in (
        "telephony.externalcall.register",
        "telephony.externalcall.show",
        "telephony.externalcall.hide",
        "telephony.externalcall.finish",
        "tasks.task.add",
        "crm.activity.update",
        "originate",
        "dialplan: ring",
    ):
        assert method in bitrix, method
    assert "cancelled by customization" in bitrix
    pbx = " ".join(t for _, t in dom.find("td", "pbx"))
    assert "103 rings (transferred by 102)" in pbx and "the caller hangs up in the IVR" in pbx
    assert any("Call recording" in t for _, t in dom.find("td", "con"))
    assert any("2026-11-24T11:30:00+03:00" in t for _, t in dom.find("td", "b24"))  # register's start time
    cases = dom.find("table", "cases")
    assert cases and "registration-skips-extension-100" in cases[0][1]
    assert screenshot(report, tmp_path, 1280, "report-example-1280.png")
    assert screenshot(report, tmp_path, 390, "report-example-390.png")


def test_hostile_and_cyrillic_text_renders_as_text(tmp_path: Path, php: str) -> None:
    chromium()
    folder = tmp_path / "hostile"
    (folder / "scenarios").mkdir(parents=True)
    (folder / "spec.yaml").write_text(
        "version: 1\nname: 'Алма <script>document.title=1</script>'\ntimezone: Asia/Almaty\n"
        "activity:\n  set: {SUBJECT: '</td><script>document.title=\"pwned\"</script> {client_phone}'}\n",
        encoding="utf-8",
    )
    (folder / "scenarios" / "call.yaml").write_text(
        'name: "<img src=x onerror=document.title=2> Жалоба"\n'
        'start: "2026-11-25 10:00:00"\n'
        'client: "<b>8 (727) 250-12-34</b>"\n'
        'trunk: {name: "<i>kaz</i>", number: "77272500000"}\n'
        'rings: [{extension: "101", for: 5, answered_at: 1, talk: 3}]\n'
        'entity: {type: contact, id: 7, name: "ТОО «Алма» </table>", responsible_id: 12}\n'
        "expect: {finish: true}\n",
        encoding="utf-8",
    )
    report = tmp_path / "hostile.html"
    done = cli_here("report", str(folder / "spec.yaml"), "-o", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    dom, console = dump(report, tmp_path)
    assert not console, console
    assert len(dom.find("script")) == 1  # ours, nothing injected
    assert not dom.find("img") and not dom.find("b") and not dom.find("i")
    title = dom.find("title")[0][1]
    assert "pwned" not in title and "<script>document.title=1</script>" in title
    heading = " ".join(t for _, t in dom.find("h4"))
    assert "<img src=x onerror=document.title=2> Жалоба" in heading
    bitrix = " ".join(t for _, t in dom.find("td", "b24"))
    assert '</td><script>document.title=\\"pwned\\"</script>' in bitrix
    assert len(dom.find("table", "lanes")) == 1
    screenshot(report, tmp_path, 390, "report-hostile-390.png")
