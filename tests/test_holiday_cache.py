"""The holidays package's list of countries is kept on disk: loading a spec with holidays does
not import the package's ~280 country modules at every command's start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import holidays
import pytest

from generator.speclang import days


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("ITGRIX_GEN_NO_CACHE", raising=False)
    days.supported.cache_clear()
    yield tmp_path / "itgrix-gen" / "holidays"
    days.supported.cache_clear()


def _no_list(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the package's list was built again")

    monkeypatch.setattr(holidays, "list_supported_countries", refuse)


def test_the_second_command_reads_the_list_from_disk(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert days.check_region("de-by") == "DE-BY"
    [stored] = cache.iterdir()
    days.supported.cache_clear()
    _no_list(monkeypatch)
    assert days.check_region("KZ") == "KZ"
    assert days.check_region("DE-BY") == "DE-BY"
    with pytest.raises(ValueError, match="did you mean DE-BY"):
        days.check_region("DE-Bayern")
    assert stored.exists()


@pytest.mark.parametrize("garbage", ["", "{", "[1, 2]", '{"DE": "BY"}'])
def test_a_damaged_cache_file_is_built_again(cache: Path, garbage: str) -> None:
    days.check_region("KZ")
    [stored] = cache.iterdir()
    stored.write_text(garbage, encoding="utf-8")
    days.supported.cache_clear()
    assert days.check_region("DE-BY") == "DE-BY"
    assert '"DE"' in stored.read_text(encoding="utf-8")  # written whole again


def test_no_cache_writes_nothing(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITGRIX_GEN_NO_CACHE", "1")
    assert days.check_region("UK") == "UK"
    assert not cache.exists()
