"""Where the files that ship beside the Python code are: the one lookup for templates, the PHP
harness and the npm matrix, in a source checkout and in an installed wheel alike (the wheel
carries templates/ and php-matrix/ inside the package, see pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[-1]


def templates_dir() -> Path:
    return _first(_PACKAGE / "templates", _PACKAGE.parent / "templates")


def template_path(name: str) -> Path:
    return templates_dir() / name


def php_matrix_dir() -> Path:
    return _first(_PACKAGE / "php_matrix", _PACKAGE.parent / "php-matrix")


def php_file(name: str) -> Path:
    """A PHP file that ships in generator/php/ (the test harness, the PCRE check)."""
    return _PACKAGE / "php" / name
