"""Where itgrix-gen keeps what it can compute again: $XDG_CACHE_HOME/itgrix-gen/<name>/ (else
~/.cache); None when ITGRIX_GEN_NO_CACHE is set.  Everything there is keyed so that a stale entry
is never used, and losing the folder costs only time."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(name: str) -> Path | None:
    if os.environ.get("ITGRIX_GEN_NO_CACHE"):
        return None
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "itgrix-gen" / name
