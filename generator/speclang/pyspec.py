"""Python specs: a module exposing SPEC (a Spec model or a dict).  A Python spec is code, so it
runs only when its own file is named on the command line (the Loader sees to that); here its
import is contained: whatever it raises, sys.exit() included, becomes that spec's error, and the
import runs in a forked child, so that even os._exit() or a crash ends only that child: the spec
fails, a batch goes on and its exit code tells the truth."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from generator.speclang import validation, yamlfile
from generator.speclang.issues import Positions, SpecError, SpecIssue, fail


def read(path: Path, display: str) -> tuple[Any, Positions]:
    # The same check as every spec reader: a regular file within the size limit (a FIFO named
    # spec.py must not hang the import, /dev/zero must not fill the memory).
    yamlfile.read_bytes(path, display)
    if not hasattr(os, "fork"):
        return _import(path, display)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: import, send the outcome, and end without running anything else
        code = 0
        try:
            os.close(reader)
            try:
                outcome: tuple[str, Any] = ("ok", _import(path, display))
            except SpecError as exc:
                outcome = ("error", exc.issues)
            try:
                payload = pickle.dumps(outcome)
            except Exception as exc:  # a value of the module's own class
                issue = SpecIssue(display, 1, 1, "SPEC", f"SPEC holds a value that is not data: {exc}")
                payload = pickle.dumps(("error", [issue]))
            with os.fdopen(writer, "wb") as out:
                out.write(payload)
        except BaseException:
            code = 70
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as inp:
        payload = inp.read()
    _pid, status = os.waitpid(pid, 0)
    kind: str = ""
    value: Any = None
    try:
        if payload:
            kind, value = pickle.loads(payload)
    except Exception:
        kind = ""
    if kind == "ok":
        data, positions = value
        return data, positions
    if kind == "error":
        raise SpecError(list(value))
    how = (
        f"exit code {os.waitstatus_to_exitcode(status)}"
        if os.WIFEXITED(status)
        else f"signal {os.WTERMSIG(status)}"
        if os.WIFSIGNALED(status)
        else f"status {status}"
    )
    raise fail(
        display,
        f"importing the spec ended the process ({how}: os._exit() or a crash) before SPEC was read; "
        "a spec only defines SPEC",
    )


def _import(path: Path, display: str) -> tuple[Any, Positions]:
    module_name = "itgrix_gen_spec_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    spec_obj = importlib.util.spec_from_file_location(module_name, path)
    if spec_obj is None or spec_obj.loader is None:
        raise SpecError([SpecIssue(display, 1, 1, "", "cannot import this Python file")])
    module = importlib.util.module_from_spec(spec_obj)
    try:
        spec_obj.loader.exec_module(module)
    except ValidationError as exc:  # the module's own Spec.model_validate: its data is not at hand
        where = {(): (display, _traceback_line(exc, path), 1)}  # the line of the call that raised
        raise SpecError(validation.issues(exc, None, where, display)) from None
    except SyntaxError as exc:
        raise SpecError(
            [SpecIssue(display, exc.lineno or 1, exc.offset or 1, "", f"Python syntax error: {exc.msg}")]
        ) from None
    except SystemExit as exc:
        # sys.exit() inside a spec must not end a batch (with exit 0, no less).
        line = _traceback_line(exc, path)
        raise fail(
            display, f"importing the spec called sys.exit({exc.code!r}); a spec only defines SPEC", line
        ) from None
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the user's module raised: report it, never a traceback
        line = _traceback_line(exc, path)
        raise SpecError(
            [SpecIssue(display, line, 1, "", f"importing the spec raised {type(exc).__name__}: {exc}")]
        ) from None
    finally:
        sys.modules.pop(module_name, None)
    if not hasattr(module, "SPEC"):
        raise SpecError([SpecIssue(display, 1, 1, "", "a Python spec must define SPEC (a Spec model or a dict)")])
    value = module.SPEC
    from generator.speclang.spec import Spec

    if isinstance(value, Spec):
        # What the module wrote, not the defaults: a default written back (a webhook's empty `when`)
        # would be read as written, and refused.
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)
    if not isinstance(value, dict):
        raise SpecError([SpecIssue(display, 1, 1, "SPEC", "SPEC must be a Spec model or a dict")])
    yamlfile.check_data(value, display)
    from generator.speclang.loader import plain

    # Errors found after the import (the spec's checks across sections, warnings) point at the line
    # that assigns SPEC: a Python spec has no place per key.  Every key the module writes stands
    # there, so a base it extends does not lend its own places to them.
    data = plain(value, text_keys=False)
    return data, _places(data, (), (display, _spec_line(path), 1), {})


def _places(data: Any, at: tuple[Any, ...], where: Any, out: Positions) -> Positions:
    out[at] = where
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in items:
        _places(value, (*at, key), where, out)
    return out


def _spec_line(path: Path) -> int:
    """The line of the module's last own `SPEC = ...` (most often the one that stands when the
    import ends: `SPEC = Spec.model_validate(SPEC)`; 1 when there is none to find)."""
    import ast

    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, OSError):
        return 1
    lines = [1]
    todo: list[ast.AST] = list(tree.body)
    while todo:  # the module's own statements, in `if`/`try`/`with` too, not in functions or classes
        node = todo.pop()
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "SPEC" for t in targets):
                lines.append(node.lineno)
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            todo += [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)]
    return max(lines)


def _traceback_line(exc: BaseException, path: Path) -> int:
    tb = exc.__traceback__
    line = 1
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == path.resolve():
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
