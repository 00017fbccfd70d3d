"""`extends` semantics: how a spec is laid over its base, with the place of every value kept."""

from __future__ import annotations

from typing import Any

from generator.speclang.issues import KeyPath, Positions


def merge(base: Any, base_pos: Positions, child: Any, child_pos: Positions) -> tuple[Any, Positions]:
    """`extends` semantics: maps merge key by key (recursively), everything else - lists included -
    is replaced by the child's value, and a child's `null` removes the base's key."""
    positions = dict(base_pos)
    merged = _merge(base, child, (), positions, child_pos)
    return merged, positions


def _merge(base: Any, child: Any, path: KeyPath, positions: Positions, child_pos: Positions) -> Any:
    if isinstance(base, dict) and isinstance(child, dict):
        out = dict(base)
        for key, value in child.items():
            key_path = path + (key,)
            if value is None:
                out.pop(key, None)
                _drop(positions, key_path)
            elif key in out:
                out[key] = _merge(out[key], value, key_path, positions, child_pos)
                _copy_one(positions, child_pos, key_path)
            else:
                out[key] = value
                _take(positions, child_pos, key_path)
        return out
    _drop(positions, path)
    _take(positions, child_pos, path)
    return child


def _drop(positions: Positions, prefix: KeyPath) -> None:
    if not prefix:
        return
    for key in [k for k in positions if k[: len(prefix)] == prefix]:
        del positions[key]


def _take(positions: Positions, source: Positions, prefix: KeyPath) -> None:
    for key, pos in source.items():
        if key[: len(prefix)] == prefix:
            positions[key] = pos


def _copy_one(positions: Positions, source: Positions, key: KeyPath) -> None:
    if key in source:
        positions[key] = source[key]
    value_key = key + ("<value>",)
    if value_key in source:
        positions[value_key] = source[value_key]
