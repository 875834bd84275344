"""Write a resolved scenario back as TOML text (for ``factions scenarios show``)."""

from __future__ import annotations

from typing import Any

__all__ = ["to_toml"]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if "\n" in value:
            return '"""\n' + _escape(value, keep="\n\t") + '"""'
        return '"' + _escape(value) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _escape(text: str, keep: str = "") -> str:
    """Escape a basic string: backslashes, quotes, and control characters TOML forbids raw."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    return "".join(
        c if c in keep or not (ord(c) < 0x20 or ord(c) == 0x7F) else f"\\u{ord(c):04x}" for c in out
    )


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "")
    return key if bare.isascii() and bare.isalnum() else '"' + _escape(key) + '"'


def _is_table(value: Any) -> bool:
    return isinstance(value, dict)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _emit(data: dict[str, Any], prefix: str, out: list[str]) -> None:
    scalars = {
        k: v
        for k, v in data.items()
        if not _is_table(v) and not (_is_table_array(v) and _nested(v))
    }
    for key, value in scalars.items():
        out.append(f"{_key(key)} = {_value(value)}")
    for key, value in data.items():
        name = f"{prefix}{_key(key)}"
        if _is_table(value):
            out.append(f"\n[{name}]")
            _emit(value, f"{name}.", out)
        elif _is_table_array(value) and _nested(value):
            for item in value:
                out.append(f"\n[[{name}]]")
                _emit(item, f"{name}.", out)


def _nested(items: list[dict[str, Any]]) -> bool:
    """Arrays of tables with several keys read better as [[headers]] than inline."""
    return any(len(item) > 2 for item in items)


def to_toml(data: dict[str, Any]) -> str:
    """TOML text that :mod:`tomllib` reads back to ``data``."""
    out: list[str] = []
    _emit(data, "", out)
    return "\n".join(out).strip() + "\n"
