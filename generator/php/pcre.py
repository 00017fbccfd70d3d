"""Asking the local php's PCRE whether patterns compile (generator/php/pcre_check.php), with a
deadline, and remembering its verdicts for the rest of the process (a batch of client specs
derived from one template shares most patterns)."""

from __future__ import annotations

import json

from generator.php import process
from generator.resources import php_file

_VERDICTS: dict[tuple[str, str], str | None] = {}


def cached_errors(php: str, sources: list[str]) -> list[str | None] | None:
    """PCRE's verdict on each pattern (None: it compiles), asking php only about patterns it has
    not judged yet; None when php could not be asked."""
    unknown = sorted({s for s in sources if (php, s) not in _VERDICTS})
    if unknown:
        verdicts = errors(php, unknown)
        if verdicts is None:
            return None
        _VERDICTS.update({(php, s): v for s, v in zip(unknown, verdicts)})
    return [_VERDICTS[(php, s)] for s in sources]


def errors(php: str, sources: list[str]) -> list[str | None] | None:
    try:
        proc = process.run(
            [php, "-n", "-d", "error_reporting=-1", "-d", "display_errors=0", str(php_file("pcre_check.php"))],
            timeout=30,
            input=json.dumps(sources),
        )
        result = json.loads(proc.stdout)
        if isinstance(result, list) and len(result) == len(sources):
            return result
    except (OSError, process.Timeout, ValueError):
        pass
    return None
