"""Reading a YAML spec as data, with limits, and with messages a newcomer understands.

A spec is data from a person who may be careless or hostile, so before anything builds a tree:
- the file must be a regular file (not a device, FIFO or socket) of at most MAX_SPEC_BYTES, UTF-8;
- one pass over the parser's events (libyaml's parser is iterative, so a deep document cannot
  exhaust the stack here) refuses nesting deeper than MAX_DEPTH and documents whose size with
  every alias expanded exceeds MAX_NODES ("billion laughs"), lone surrogates and numbers too long
  to be a value, each with its line and column.
Only then is the document loaded, with the place of every key and value, all by libyaml.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from generator.speclang.issues import KeyPath, Pos, Positions, SpecError, SpecIssue, fail

# The limits a spec must keep (documented in the README, "Limits").  A real client's spec is a few
# kilobytes, a few hundred nodes and under ten levels deep; these leave room for a hundredfold.
MAX_SPEC_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
MAX_CHARS = 4 * 1024 * 1024  # text of all values, aliases expanded
MAX_NUMBER_DIGITS = 1000

_LONG_NUMBER = re.compile(rf"[-+]?[0-9_]{{{MAX_NUMBER_DIGITS},}}(\.[0-9_]*)?([eE][-+]?[0-9]+)?")


def read_bytes(path: Path, display: str, limit: int = MAX_SPEC_BYTES, kind: str = "spec") -> bytes:
    """A spec file's bytes, the one check every reader of a spec shares (load, render's cache,
    Python specs): a regular file (never a device such as /dev/zero, never a FIFO that would wait
    for a writer) of at most `limit` bytes.  `kind` names the file in the messages (a scenario is
    read the same way)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        raise fail(display, f"is a folder, not a {kind} file") from None
    except OSError as exc:
        raise fail(display, f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise fail(display, f"is a folder, not a {kind} file")
        if not stat.S_ISREG(info.st_mode):
            raise fail(display, f"not a regular file (a device, FIFO or socket): a {kind} is a text file")
        if info.st_size > limit:
            raise fail(
                display,
                f"the spec is {info.st_size:,} bytes; the limit is {limit:,} "
                "(split a large setup into a base spec and `extends`)",
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise fail(display, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise fail(display, f"the spec is larger than the limit of {limit:,} bytes")
    return data


def read_text(path: Path, display: str, kind: str = "spec") -> str:
    """The spec's text: a regular file, within the size limit, UTF-8 (a BOM is dropped)."""
    data = read_bytes(path, display, kind=kind)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(
            display, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8", line, col
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


class _SpecConstructor(SafeConstructor):
    """YAML's safe types, except that a date stays the text it was written as: no spec key takes
    a YAML timestamp, and `off: [2026-02-30]` must be the spec's error with its place, not the
    YAML library's."""


_OTHER_INT = re.compile(r"[-+]?(0[oOxXbB]|[0-9]+_)[0-9A-Fa-f_]*")


def _construct_int(constructor: SafeConstructor, node: Any) -> Any:
    """A whole number written in decimal is a number; one written in another notation (0o304,
    0x130, 1_000) stays the text it was written as: `status: 0o304` must not become "196".  A
    key that takes a number then refuses the text with its place."""
    text = str(node.value)
    if _OTHER_INT.fullmatch(text):
        return text
    return SafeConstructor.construct_yaml_int(constructor, node)


class WrittenFloat(float):
    """A YAML float that remembers how it was written: `php: 7.10` is not 7.1."""

    text: str = ""


def _construct_float(constructor: SafeConstructor, node: Any) -> Any:
    number = WrittenFloat(SafeConstructor.construct_yaml_float(constructor, node))
    number.text = str(node.value)
    return number


_SpecConstructor.add_constructor("tag:yaml.org,2002:float", _construct_float)
_SpecConstructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)
_SpecConstructor.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load(
    text: str, display: str, empty: str = "the spec is empty; it needs at least version: 1 and name"
) -> tuple[Any, Positions]:
    """The document as plain dicts/lists/scalars, and where each key and value stands.  Both come
    from libyaml (the C parser): the data from its loader, the places from its node tree."""
    scan(text, display)
    yaml = YAML(typ="safe")
    yaml.Constructor = _SpecConstructor
    yaml.allow_duplicate_keys = False
    try:
        # One parse: the node tree gives the places, and the data is constructed from it.
        node = yaml.compose(text)
        _refuse_duplicates(node, display, yaml.constructor)
        doc = yaml.constructor.construct_document(node) if node is not None else None
    except MarkedYAMLError as exc:
        raise _syntax_error(exc, text, display) from None
    except (YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise fail(display, f"YAML error: {_one_line(exc)}") from None
    if doc is None:
        raise fail(display, empty)
    positions: Positions = {(): (display, 1, 1)}
    if node is not None:
        _index(node, (), positions, display, yaml.constructor)
    return doc, positions


def scan(text: str, display: str) -> None:
    """One pass over the parser's events: depth, expanded size, and scalars no spec can hold."""
    yaml = YAML(typ="safe")
    stack: list[list[Any]] = []  # per open collection: [expanded nodes, expanded chars, anchor]
    anchors: dict[str, tuple[int, int]] = {}  # expanded (nodes, chars) of each anchored node
    total = chars = 0

    def where(event: Any) -> tuple[int, int]:
        mark = getattr(event, "start_mark", None)
        return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)

    def add(size: int, length: int, event: Any) -> None:
        nonlocal total, chars
        total += size
        chars += length
        if total > MAX_NODES:
            raise fail(
                display,
                f"the spec expands to more than {MAX_NODES:,} values (aliases included); a spec this large is refused",
                *where(event),
            )
        if chars > MAX_CHARS:
            raise fail(
                display,
                f"the spec's values expand to more than {MAX_CHARS:,} characters (aliases "
                "included); a spec this large is refused",
                *where(event),
            )
        if stack:
            stack[-1][0] += size
            stack[-1][1] += length

    try:
        for event in yaml.parse(text):
            kind = type(event).__name__
            if kind in ("MappingStartEvent", "SequenceStartEvent"):
                if len(stack) >= MAX_DEPTH:
                    raise fail(
                        display,
                        f"nested more than {MAX_DEPTH} levels deep; a spec is refused beyond that",
                        *where(event),
                    )
                add(1, 0, event)
                stack.append([1, 0, getattr(event, "anchor", None)])
            elif kind in ("MappingEndEvent", "SequenceEndEvent"):
                nodes, length, anchor = stack.pop()
                if anchor:
                    anchors[anchor] = (nodes, length)
            elif kind == "ScalarEvent":
                _check_scalar(event, display, where(event))
                add(1, len(event.value), event)
                if getattr(event, "anchor", None):
                    anchors[event.anchor] = (1, len(event.value))
            elif kind == "AliasEvent":
                if any(entry[2] == event.anchor for entry in stack):
                    raise fail(
                        display,
                        f"the alias *{event.anchor} stands inside the node it names (&{event.anchor}), which "
                        "would contain itself forever; a spec is refused with a recursive anchor",
                        *where(event),
                    )
                add(*anchors.get(event.anchor, (1, 0)), event)
    except MarkedYAMLError as exc:
        raise _syntax_error(exc, text, display) from None
    except YAMLError as exc:
        raise _reader_error(exc, text, display) from None


def _check_scalar(event: Any, display: str, pos: tuple[int, int]) -> None:
    value = event.value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        raise fail(
            display,
            f"the text holds a lone surrogate \\u{ord(bad):04x}, which is not a character "
            "(write the whole character, or its \\U escape)",
            *pos,
        ) from None
    if not event.style and len(value) >= MAX_NUMBER_DIGITS and _LONG_NUMBER.fullmatch(value):
        raise fail(
            display, f"a number of {len(value):,} digits is not a value any key takes (quote it if it is text)", *pos
        )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def _reader_error(exc: YAMLError, text: str, display: str) -> SpecError:
    position = getattr(exc, "position", None)
    if isinstance(position, int):
        line = text.count("\n", 0, position) + 1
        col = position - (text.rfind("\n", 0, position) + 1) + 1
        char = getattr(exc, "character", None)
        what = f"character {char!r}" if isinstance(char, str) else "a character"
        return fail(display, f"{what} that YAML does not allow in a file (a control character?)", line, col)
    return fail(display, f"YAML error: {_one_line(exc)}")


def _syntax_error(exc: MarkedYAMLError, text: str, display: str) -> SpecError:
    """Parser messages in the words of someone who wrote the spec, not of the parser."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line, mark.column) if mark is not None else (0, 0)
    lines = text.split("\n")
    problem = str(exc.problem or exc.context or "invalid YAML")
    # A tab in the indentation, on this line or the one the parser stumbled after.
    for candidate in (line, line - 1, line + 1):
        if 0 <= candidate < len(lines):
            indent = re.match(r"[ \t]*", lines[candidate]).group(0)  # type: ignore[union-attr]
            if "\t" in indent or ("'\\t'" in problem and candidate == line):
                tab = indent.find("\t") if "\t" in indent else col
                return fail(
                    display, "tabs are not allowed in YAML indentation; indent with spaces", candidate + 1, tab + 1
                )
    if "duplicate key" in str(exc):
        # The parser's own words add 'with value "{}"' for a mapping, which is its kind, not its
        # text, and misleads (the two values may differ entirely): the key and its place help.
        found = re.search(r'duplicate key "((?:[^"\\]|\\.)*)"', str(exc))
        key = found.group(1) if found else "?"
        return fail(display, f'duplicate key "{key}": write each key once (merge the two)', line + 1, col + 1)
    context = exc.context_mark
    if (
        "expected <block end>" in problem
        or "did not find expected key" in problem
        or ("expected <block mapping end>" in problem)
        or "did not find expected '-' indicator" in problem
    ):
        block = ""
        if context is not None and context.line != line:
            block = f" (the block that starts on line {context.line + 1} has its keys at column {context.column + 1})"
        return fail(
            display,
            f"wrong indentation: this line starts at column {col + 1}, which does not line "
            f"up with the keys above it{block}; indent keys of one block alike, with spaces",
            line + 1,
            col + 1,
        )
    if "mapping values are not allowed" in problem:
        return fail(
            display,
            "a ':' where no key can start: check this line's indentation, or quote a value that holds ': '",
            line + 1,
            col + 1,
        )
    if "invalid Unicode character escape" in problem:
        return fail(
            display,
            f"YAML syntax error: {problem} (a lone surrogate such as \\ud800 is not a character)",
            line + 1,
            col + 1,
        )
    if "found character" in problem and "cannot start any token" in problem:
        return fail(display, f"YAML syntax error: {problem} (quote the value if it is text)", line + 1, col + 1)
    return fail(display, f"YAML syntax error: {problem}", line + 1, col + 1)


_MERGE_TAG = "tag:yaml.org,2002:merge"


def load_plain(text: str, display: str) -> Any:
    """A YAML file that is not a spec (a golden case's case.yaml) as plain data, read as YAML's safe
    loader reads it; a key written twice in a mapping refused, every one named with its place."""
    yaml = YAML(typ="safe")
    node = yaml.compose(text)
    _refuse_duplicates(node, display, yaml.constructor)
    return yaml.constructor.construct_document(node) if node is not None else None


def _refuse_duplicates(node: Any, display: str, constructor: Any) -> None:
    found = _duplicate_keys(node, (), display, constructor) if node is not None else []
    if found:
        # A mapping reached through several aliases is walked once per alias: each place once,
        # under the path it is first reached by.
        first = {(i.line, i.col, i.message): i for i in reversed(found)}
        raise SpecError(sorted(first.values(), key=lambda i: (i.line, i.col)))


def _frozen(value: Any) -> Any:
    """A key that is a list or a mapping (`? [a, b]`), hashable, to compare with the others."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return frozenset((k, _frozen(v)) for k, v in value.items())
    return value


def _duplicate_keys(node: Any, path: KeyPath, display: str, constructor: Any) -> list[SpecIssue]:
    """Every key a mapping of the tree writes twice, all at once (the parser would stop at the first
    and name a mapping value "{}"); keys a YAML merge (`<<: *base`) brings in may be written again."""
    out: list[SpecIssue] = []
    if isinstance(node, MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            try:
                key = _frozen(constructor.construct_object(key_node, deep=True))
                hash(key)
            except Exception:
                continue
            if key in seen:
                advice = "merge the two" if isinstance(value_node, MappingNode) else "keep the one you mean"
                mark = key_node.start_mark
                out.append(
                    SpecIssue(
                        display,
                        mark.line + 1,
                        mark.column + 1,
                        ".".join(str(p) for p in path),
                        f"duplicate key {str(key)!r}: write each key once ({advice})",
                    )
                )
            seen.add(key)
            out += _duplicate_keys(value_node, (*path, key), display, constructor)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            out += _duplicate_keys(item, (*path, i), display, constructor)
    return out


def _index(node: Any, path: KeyPath, positions: Positions, display: str, constructor: Any) -> None:
    """Record where each key and value of a composed node tree stands (1-based line and column).
    Keys brought in by a YAML merge (`<<: *base`) stand where the merge does, unless the map
    writes them itself.  (The tree's size was bounded by scan(), aliases included.)"""

    def mark(n: Any) -> Pos:
        return (display, n.start_mark.line + 1, n.start_mark.column + 1)

    if isinstance(node, MappingNode):
        merged: list[tuple[Any, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    if isinstance(source, MappingNode):
                        merged.extend((k, (v, key_node)) for k, v in source.value)
        explicit = [(k, (v, None)) for k, v in node.value if k.tag != _MERGE_TAG]
        for key_node, (value_node, merge_node) in merged + explicit:
            if not isinstance(key_node, ScalarNode):
                continue
            try:
                key = constructor.construct_object(key_node, deep=True)
            except Exception:
                continue
            here = path + (key,)
            positions[here] = mark(merge_node or key_node)
            positions[here + ("<value>",)] = mark(merge_node or value_node)
            _index(value_node, here, positions, display, constructor)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            positions[path + (i,)] = mark(item)
            _index(item, path + (i,), positions, display, constructor)


def check_data(data: Any, display: str) -> None:
    """The same depth and size limits for a spec that did not come from YAML (a Python spec),
    walked without recursion; a structure that contains itself exceeds them too."""
    count = 0
    todo: list[tuple[Any, int]] = [(data, 1)]
    while todo:
        value, depth = todo.pop()
        count += 1
        if count > MAX_NODES:
            raise fail(display, f"SPEC holds more than {MAX_NODES:,} values; a spec this large is refused")
        if isinstance(value, (dict, list, tuple)):
            if depth > MAX_DEPTH:
                raise fail(display, f"SPEC is nested more than {MAX_DEPTH} levels deep")
            items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
            for key, item in items:
                if key is not None:
                    todo.append((key, depth + 1))
                todo.append((item, depth + 1))
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise fail(display, "SPEC holds text with a lone surrogate, which is not a character") from None
