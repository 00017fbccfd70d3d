"""Real calls: the capture log the generated files write (`capture:` in a spec), and what the
commands do with it: read it (`log.py`), redact it like the files do (`redact.py`), replay it
through a spec (`replay.py`), turn it into golden cases (`cases.py`) and probe the field table
against it (`probe.py`)."""
