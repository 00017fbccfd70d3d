"""Lines a reviewer reads: a generated statement longer than WIDTH columns is broken, one clause
of a long boolean chain, one argument of a long call, one part of a long concatenation a line
(PSR-12's multi-line style), and a long comment is continued on `//` lines.

Only white space is ever inserted, and only between tokens: never inside a string literal (quoted
or marked by generator.emit.marked), so the code means what it meant on one line.  A literal too
long for any line (a phone plan's pattern) stays whole.
"""

from __future__ import annotations

import re

from generator.emit.marked import CLOSE, COMMENT_CLOSE, COMMENT_OPEN, MARKS, OPEN

WIDTH = 120
IND = "    "
_NO_MARKS = str.maketrans("", "", MARKS)
_PAIRS = {"(": ")", "[": "]"}
_CAST = re.compile(r"\((?:string|int|integer|bool|boolean|float|double|array|object)\)")
# Where a chain is broken, loosest first: `a || b && c` breaks at `||` before `&&`.
_OPERATORS = (" || ", " && ", " . ")


def visible(text: str) -> int:
    return len(text.translate(_NO_MARKS))


def _scan(text: str) -> list[int]:
    """The bracket depth at each character of `text` (-1 inside a literal or a quoted string)."""
    depths = []
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in (OPEN, COMMENT_OPEN, "'", '"'):
            end_ch = {OPEN: CLOSE, COMMENT_OPEN: COMMENT_CLOSE}.get(ch, ch)
            j = i + 1
            while j < len(text) and text[j] != end_ch:
                j += 2 if ch in "'\"" and text[j] == "\\" else 1
            depths.extend([-1] * (min(j, len(text) - 1) - i + 1))
            i = j + 1
            continue
        cast = _CAST.match(text, i)
        if cast:  # "(string)" is one token: never broken
            depths.extend([-1] * len(cast.group(0)))
            i += len(cast.group(0))
            continue
        if ch in ")]":
            depth -= 1
        depths.append(depth)
        if ch in "([":
            depth += 1
        i += 1
    return depths


def _split_top(text: str, sep: str, depths: list[int]) -> list[str]:
    parts, start, i = [], 0, 0
    while i <= len(text) - len(sep):
        if depths[i] == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
            i = start
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _groups(text: str, depths: list[int]) -> list[tuple[int, int]]:
    """The top-level bracket pairs (open index, close index)."""
    out, start = [], None
    for i, ch in enumerate(text):
        if depths[i] == 0 and ch in _PAIRS:
            start = i
        elif depths[i] == 0 and ch in ")]" and start is not None:
            out.append((start, i))
            start = None
    return out


def statement(text: str, indent: str = "", width: int = WIDTH) -> list[str]:
    """One statement (or an `if (...) {` head) as lines of at most `width` columns where it can."""
    if visible(indent + text) <= width:
        return [indent + text]
    depths = _scan(text)
    for op in _OPERATORS:
        parts = _split_top(text, op, depths)
        if len(parts) > 1:
            out = statement(parts[0], indent, width)
            for part in parts[1:]:
                out += statement(op.strip() + " " + part, indent, width)
            return out
    start, end = _widest(text, depths)
    if start < 0:
        return _packed(text, indent, width) or [indent + text]
    head, inner, tail = text[: start + 1], text[start + 1 : end], text[end:]
    inner_depths = _scan(inner)
    items = _split_top(inner, ", ", inner_depths)
    if len(items) == 1:
        for op in _OPERATORS:
            parts = _split_top(inner, op, inner_depths)
            if len(parts) > 1:
                # `if (a` / `    && b) {`: a chain inside brackets, one clause a line.
                pad = indent + " " * visible(head)
                first = statement(parts[0], pad, width)
                out = [indent + head + first[0][len(pad) :]] + first[1:]
                for i, part in enumerate(parts[1:], 1):
                    last = tail if i == len(parts) - 1 else ""
                    out += statement(op.strip() + " " + part + last, indent + IND, width)
                return out
    out = [indent + head]
    for i, item in enumerate(items):
        out += statement(item + ("," if i < len(items) - 1 else ""), indent + IND, width)
    return out + [indent + tail]


_FLAT_ARRAY = re.compile("^" + OPEN + r"array\((.*)\)" + CLOSE + r"(\)*[,;]?(?: \{)?)$", re.S)


def _packed(text: str, indent: str, width: int) -> list[str] | None:
    """A marked literal `array(a, b, ...)` of plain values too long for a line (a black list of 40
    extensions) as rows of values: `array(` / rows / `)`.  Only white space between its tokens
    changes, so it is the same constant.  None when it is not such a literal."""
    m = _FLAT_ARRAY.match(text)
    depths = _scan(m.group(1)) if m else []
    if not m or any(d > 0 for d in depths):  # a nested array stays whole
        return None
    items = _split_top(m.group(1), ", ", depths)  # quoted values keep their ", "
    if len(items) < 2:
        return None
    rows = [""]
    room = width - len(indent) - len(IND)
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if rows[-1] and len(rows[-1]) + 1 + len(piece) > room:
            rows.append("")
        rows[-1] += (" " if rows[-1] else "") + piece
    return [indent + OPEN + "array("] + [indent + IND + row for row in rows] + [indent + ")" + CLOSE + m.group(2)]


def _widest(text: str, depths: list[int]) -> tuple[int, int]:
    """The bracket pair to break `text` at: its widest top-level pair, or where that pair holds one
    call and nothing else, the widest pair inside it (`if (f(` ... `)) {`, not a line per bracket)."""
    groups = [(a, b) for a, b in _groups(text, depths) if b > a + 1]
    if not groups:
        return -1, -1
    start, end = max(groups, key=lambda g: g[1] - g[0])
    inner = text[start + 1 : end]
    inner_depths = _scan(inner)
    alone = len(_split_top(inner, ", ", inner_depths)) == 1 and all(
        len(_split_top(inner, op, inner_depths)) == 1 for op in _OPERATORS
    )
    if alone:
        a, b = _widest(inner, inner_depths)
        if a >= 0 and inner[b + 1 :].strip() == "":
            return start + 1 + a, start + 1 + b
    return start, end


def comment(text: str, indent: str = "", width: int = WIDTH) -> list[str]:
    """A `// ...` comment line as several, broken at spaces (continuations indented by three)."""
    if visible(indent + text) <= width or not text.startswith("// "):
        return [indent + text]
    lines = ["//"]
    for word in text[3:].split(" "):
        if lines[-1] not in ("//", "//   ") and visible(indent + lines[-1] + " " + word) > width:
            lines.append("//   ")
        lines[-1] += " " + word
    return [indent + line for line in lines]


def code(text: str, width: int = WIDTH) -> str:
    """Every line of `text` that is too long, laid out by `statement` or `comment`.  A line with a
    comment after its code is left as it is (a line break would end the comment early)."""
    out = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        indent = line[: len(line) - len(stripped)]
        if visible(line) <= width or stripped.startswith(("/*", "*")):  # the header stays as it is
            out.append(line)
        elif stripped.startswith("// "):
            out += comment(stripped, indent, width)
        elif _trailing_comment(stripped):
            out.append(line)
        else:
            out += statement(stripped, indent, width)
    return "\n".join(out)


def _trailing_comment(text: str) -> bool:
    depths = _scan(text)
    return any(depths[i] >= 0 and text.startswith(("//", "/*", "#"), i) for i in range(len(text)))
