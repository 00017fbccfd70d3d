"""Calendars as people say them (issue 20): holidays of a country or an ISO 3166-2 subdivision,
days off and worked as dates, days of every year and ranges, the call's start as the moment hours
judge, and `explain` showing which country and which dates a calendar means.  The golden cases of
specs/bavaria/ run the same through real PHP on the matrix; these tests pin the language's side."""

from __future__ import annotations

import datetime
import json

import pytest

from generator.emit.zones import CALENDAR_YEARS, calendar_days
from generator.explain import explain
from generator.speclang.days import describe, parse_day
from tests.conftest import ROOT, cli_here, load, load_text, render_to, run_one

BAVARIA = ROOT / "specs" / "bavaria" / "spec.yaml"


def _errors(tmp_path, text: str) -> str:
    (tmp_path / "spec.yaml").write_text(text, encoding="utf-8")
    proc = cli_here("validate", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return proc.stderr


# --- holidays: countries and subdivisions ------------------------------------------------------


def test_holidays_take_a_subdivision_or_a_list(tmp_path):
    loaded = load_text(tmp_path, "version: 1\nname: x\ncalendar:\n  holidays: [de-by, CH-ZH, US-NY, KZ]\n")
    assert loaded.spec.calendar.regions() == ("DE-BY", "CH-ZH", "US-NY", "KZ")
    one = load_text(tmp_path, "version: 1\nname: x\ncalendar: {holidays: DE-BY}\n", "one.yaml")
    off, _work = calendar_days(one.spec.calendar.regions(), (), ())
    # Epiphany and Corpus Christi are Bavarian holidays, not German ones; Reformation Day is not Bavarian.
    assert {"2027-01-06", "2027-05-27", "2027-11-01"} <= set(off)
    assert "2028-10-31" not in off
    berlin = load_text(tmp_path, "version: 1\nname: x\ncalendar: {holidays: DE-BE}\n", "be.yaml")
    assert "2027-01-06" not in calendar_days(berlin.spec.calendar.regions(), (), ())[0]


def test_an_unknown_subdivision_lists_the_valid_ones_with_a_suggestion(tmp_path):
    errors = _errors(
        tmp_path,
        "version: 1\nname: x\ncalendar:\n  holidays: [DE-BYY, DE-Bayern, CH-XX, Germany, XY]\n",
    )
    lines = errors.strip().splitlines()
    assert lines[0].startswith("spec.yaml:4:14: calendar.holidays.0:") or ":4:14: calendar.holidays.0:" in lines[0]
    assert "no subdivision 'DE-BYY'; did you mean DE-BY?" in errors
    assert "valid: DE-BB, DE-BE, DE-BW, DE-BY" in errors
    assert "no subdivision 'DE-Bayern'; did you mean DE-BY?" in errors  # a name instead of the code
    assert "no subdivision 'CH-XX'" in errors and "CH-ZH" in errors
    assert "no country 'Germany' (did you mean DE?)" in errors
    assert "no country 'XY'" in errors


def test_by_stays_belarus_and_explain_says_so(tmp_path):
    loaded = load_text(tmp_path, "version: 1\nname: minsk\ncalendar: {holidays: BY}\n")
    text = explain(loaded.spec, datetime.date(2026, 12, 1))
    assert "Public holidays of: Belarus (BY)." in text
    # Orthodox Christmas, which Bavaria does not keep: a reader who meant Bavaria notices.
    assert "- Thu 2027-01-07: off (" in text
    assert describe("DE-BY") == "Germany, Bayern (DE-BY)"


# --- days: dates, days of every year, ranges ----------------------------------------------------


def test_days_of_every_year_and_ranges_reach_the_file(tmp_path):
    off, work = calendar_days(
        (), ("2026-12-31", "12-24..12-26", "2027-07-01..2027-07-03", "12-31..01-01", "02-29"), ("2027-03-20",)
    )
    assert {"12-24", "12-25", "12-26", "12-31", "01-01", "02-29"} <= set(off)
    assert {"2026-12-31", "2027-07-01", "2027-07-02", "2027-07-03"} <= set(off)
    assert work == ["2027-03-20"]
    span = parse_day("12-28..01-02")
    assert span.yearly and span.month_days() == ["12-28", "12-29", "12-30", "12-31", "01-01", "01-02"]
    assert datetime.date(2031, 1, 2) in span.dates(CALENDAR_YEARS)


def test_an_unquoted_yaml_date_is_the_date_written(tmp_path):
    loaded = load_text(tmp_path, "version: 1\nname: x\ncalendar:\n  off: [2026-12-31, 12-24]\n  workdays: 2027-03-20\n")
    assert loaded.spec.calendar.off == ["2026-12-31", "12-24"]
    assert loaded.spec.calendar.workdays == ["2027-03-20"]


@pytest.mark.parametrize(
    ("item", "place", "message"),
    [
        ("2026-02-30", "4:9", "'2026-02-30' is not a date of the calendar"),
        ("24-12", "4:9", "'24-12' is not a month-day (month-day: did you mean 12-24?)"),
        ("24.12.", "4:9", "day.month is not read: write month-day, e.g. 12-24"),
        ("12-24-12-31", "4:9", "a range is written with two dots: 12-24..12-31"),
        ("12-24 - 12-31", "4:9", "a range is written with two dots"),
        ('"2027-07-14..2027-07-01"', "4:9", "the range ends before it starts"),
        ('"12-24..2027-01-01"', "4:9", "not one of each"),
        ('"2026-01-01..2028-01-01"', "4:9", "a range is at most 366 days long"),
        ("13-01", "4:9", "'13-01' is not a month-day"),
    ],
)
def test_a_bad_day_is_a_spec_error_with_its_place(tmp_path, item, place, message):
    errors = _errors(tmp_path, f"version: 1\nname: x\ncalendar:\n  off: [{item}]\n")
    assert f"spec.yaml:{place}: calendar.off.0: " in errors, errors
    assert message in errors, errors


# --- the moment hours judge ---------------------------------------------------------------------


SPEC = """version: 1
name: start-time
timezone: Europe/Berlin
schedules:
  office: {mon-fri: "09:00-18:00"}
tasks:
  rules:
    - when: {hours: office}
      set: {RESPONSIBLE_ID: 12}
    - when: {hours: {schedule: office, at: now}}
      set: {TITLE: "decided in office hours"}
    - when: {hours: "09:00-18:00", days: [wed]}
      set: {CREATED_BY: 3}
"""


def _task(start: str | None, **extra: object) -> dict:
    channel = {"start_time": start, "type": "incoming", "from": {"number": "+49891234567"}}
    return {
        "fields": {"CREATED_BY": 1, "RESPONSIBLE_ID": 7, "TITLE": "Verpasster Anruf"},
        "call_full": {"channel": channel},
        **extra,
    }


def _at(text: str) -> int:
    return int(datetime.datetime.fromisoformat(text).timestamp())


def _fields(file, params: dict, now: int, php: str) -> dict:
    result = run_one(file, params, now, php)
    assert result.clean, (result.errors, result.output, result.crash)
    return result.reply["data"]["fields"]  # type: ignore[no-any-return]


def test_hours_judge_the_calls_start_not_the_moment_the_task_is_made(tmp_path, php):
    paths = render_to(load_text(tmp_path, SPEC), tmp_path / "out")
    file = paths["process_task_creation_params"]
    made = _at("2027-01-13T18:00:15+01:00")  # a Wednesday, after closing
    fields = _fields(file, _task("2027-01-13 17:59:00"), made, php)
    assert fields["RESPONSIBLE_ID"] == 12 and fields["CREATED_BY"] == 3  # rang at 17:59: office hours
    assert fields["TITLE"] == "Verpasster Anruf"  # at: now is the moment of the decision, 18:00:15
    late = _fields(file, _task("2027-01-13 18:00:30"), _at("2027-01-13T18:01:40+01:00"), php)
    assert late["RESPONSIBLE_ID"] == 7 and late["CREATED_BY"] == 1
    # CALL_START_DATE first (with its own offset), then the channel's start_time
    first = _fields(file, _task("2027-01-13 20:00:00", CALL_START_DATE="2027-01-13T16:59:00Z"), made, php)
    assert first["RESPONSIBLE_ID"] == 12


@pytest.mark.parametrize("start", [None, "0001-01-01 00:00:00", "", "gestern", 5])
def test_without_a_start_time_the_moment_the_file_runs_counts(tmp_path, php, start):
    paths = render_to(load_text(tmp_path, SPEC), tmp_path / "out")
    file = paths["process_task_creation_params"]
    during = _fields(file, _task(start), _at("2027-01-13T10:00:00+01:00"), php)  # type: ignore[arg-type]
    after = _fields(file, _task(start), _at("2027-01-13T19:00:00+01:00"), php)  # type: ignore[arg-type]
    assert during["RESPONSIBLE_ID"] == 12 and after["RESPONSIBLE_ID"] == 7
    # call_full null (a documented input): the moment the file runs, no notice, no crash
    bare = {"fields": {"RESPONSIBLE_ID": 7}, "call_full": None}
    assert _fields(file, bare, _at("2027-01-13T10:00:00+01:00"), php)["RESPONSIBLE_ID"] == 12


def test_at_is_checked_with_a_suggestion(tmp_path):
    errors = _errors(
        tmp_path,
        "version: 1\nname: x\ntimezone: UTC\nschedules: {o: {mon: '09:00-10:00'}}\n"
        "final_params:\n  rules:\n    - when: {hours: {schedule: o, at: nwo}}\n      set: {ADD_TO_CHAT: 1}\n",
    )
    assert "'nwo' is not allowed" in errors and "did you mean 'now'?" in errors


def test_a_misspelt_at_key_gets_a_suggestion(tmp_path):
    errors = _errors(
        tmp_path,
        "version: 1\nname: x\ntimezone: UTC\nschedules: {o: {mon: '09:00-10:00'}}\n"
        "final_params:\n  rules:\n    - when: {hours: {schedule: o, att: now}}\n      set: {ADD_TO_CHAT: 1}\n",
    )
    assert "unknown key 'att'; did you mean 'at'?" in errors


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("holiday", "holidays"), ("of", "off"), ("workday", "workdays"), ("wokrdays", "workdays")],
)
def test_a_misspelt_calendar_key_gets_a_suggestion(tmp_path, key, suggestion):
    errors = _errors(tmp_path, f"version: 1\nname: x\ncalendar:\n  {key}: [12-24]\n")
    assert f"unknown key '{key}'; did you mean '{suggestion}'?" in errors


# --- explain ------------------------------------------------------------------------------------


def test_explain_lists_the_calendars_dates_from_a_day(tmp_path):
    text = explain(load(BAVARIA).spec, datetime.date(2026, 12, 1))
    assert "Public holidays of: Germany, Bayern (DE-BY)." in text
    assert "from 2026-12-01 to 2027-11-30" in text
    assert "- Wed 2027-01-06: off (Epiphany (DE-BY))" in text
    assert "- Thu 2026-12-24: off (the spec's `off` `12-24..12-31`)" in text
    assert "- Sat 2027-03-20: **worked** (the spec's `workdays` `2027-03-20`)" in text
    assert "- Wed 2027-07-28: off (the spec's `off` `2027-07-26..2027-08-06`)" in text
    assert "- Sun 2027-08-15: off (Assumption Day (DE-BY); the spec's `off` `08-15`)" in text or (
        "- Sun 2027-08-15: off (the spec's `off` `08-15`)" in text
    )
    assert "2027-12-" not in text  # twelve months from the first day, no more
    assert "Mon–Thu 07:30–12:00, 13:00–18:00; Fri 07:30–13:00" in text
    later = explain(load(BAVARIA).spec, datetime.date(2028, 8, 1))
    assert "- Tue 2028-08-15: off" in later and "2027-" not in later.split("## Calendar")[1]


def test_explain_from_on_the_command_line(tmp_path):
    proc = cli_here("explain", str(BAVARIA), "--from", "2027-05-01")
    assert proc.returncode == 0, proc.stderr
    assert "- Thu 2027-05-27: off (Corpus Christi (DE-BY))" in proc.stdout
    bad = cli_here("explain", str(BAVARIA), "--from", "27.05.2027")
    assert bad.returncode == 2 and "is not a date: write it YYYY-MM-DD" in bad.stderr
    today = cli_here("explain", str(BAVARIA))
    assert f"from {datetime.date.today().isoformat()} to " in today.stdout


def test_explain_names_the_webhooks_fields_and_numbers_of_the_spec_region():
    text = explain(load(BAVARIA).spec, datetime.date(2026, 12, 1))
    assert "It sends the JSON fields `nummer` = `{client_phone}`, `kunde` = `{entity.name}`" in text
    assert "+49" in text and "+7495" not in text and "+7701" not in text
    germany = explain(load(ROOT / "specs" / "germany" / "spec.yaml").spec)
    assert "national notation (030123456)" in germany and "84951234567" not in germany


def test_the_schema_describes_the_new_keys():
    proc = cli_here("schema")
    schema = json.loads(proc.stdout)
    calendar = schema["$defs"]["Calendar"]["properties"]
    assert "DE-BY" in json.dumps(calendar["holidays"]) and "12-24..12-31" in json.dumps(calendar["off"])
    assert '"start"' in proc.stdout and "the moment of the decision" in proc.stdout


def test_explain_names_countries_in_words_and_lists_only_iso_subdivisions(tmp_path):
    """ "UnitedStates" (the package's class name) read as a typo; cities the package accepts as
    subdivisions ("DE-Augsburg", "CH-Stadt Zurich") are no ISO 3166-2 codes to offer."""
    assert describe("US-NY") == "United States, New York (US-NY)"
    assert describe("BA") == "Bosnia and Herzegovina (BA)"
    loaded = load_text(tmp_path, "version: 1\nname: ny\ncalendar: {holidays: US-NY}\n")
    text = explain(loaded.spec, datetime.date(2026, 12, 1))
    assert "Public holidays of: United States, New York (US-NY)." in text
    assert "Days the calendar makes off or worked, whatever their weekday" in text
    errors = _errors(tmp_path, "version: 1\nname: x\ncalendar:\n  holidays: [DE-XX, CH-XX]\n")
    assert "DE-BY" in errors and "CH-ZH" in errors
    assert "Augsburg" not in errors and "Stadt Zurich" not in errors


def test_a_likely_mistake_in_the_calendar_is_a_warning_not_an_error(tmp_path):
    """A date outside the years the files cover, and holidays of another country than the numbers'
    region (BY, Belarus, written for Bavaria on a German spec): said, and the spec still valid."""
    from tests.conftest import validate_warnings

    lines = validate_warnings(
        tmp_path,
        "version: 1\nname: w\ntimezone: Europe/Berlin\nphones: {client: {region: DE}}\n"
        "calendar:\n  holidays: BY\n  off: ['2024-12-31', '12-24', '2027-01-02']\n",
    )
    assert lines == [
        "spec.yaml:7:9: warning: calendar.off.0: '2024-12-31' lies outside 2025–2032, "
        "the years the generated files cover: a mistyped year?",
        "spec.yaml:6:3: warning: calendar.holidays.0: holidays of Belarus (BY), but phones.client.region is DE "
        "(for Germany, Bayern (DE-BY) write DE-BY)",
    ]
    (tmp_path / "spec.yaml").write_text(
        "version: 1\nname: w\ntimezone: Europe/Berlin\nphones: {client: {region: DE}}\n"
        "calendar:\n  holidays: DE-BY\n  off: ['2026-12-31']\n",
        encoding="utf-8",
    )
    proc = cli_here("render", "spec.yaml", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
