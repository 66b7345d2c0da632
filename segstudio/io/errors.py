"""Friendly, strict errors for annotation files: every message names the file and where in it.

`FormatError` carries the file, a location (a JSON path such as `annotations[12].segmentation`
or `line 7`) and the problem.  `load_json` reads a JSON file and turns decoder errors into a
FormatError with line and column; `JsonReader` walks parsed JSON and raises FormatErrors with the
JSON path of the offending value, so format readers stay short and precise.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class FileProblem(Exception):
    """A file that cannot be used; `str()` is "<path>: <problem>"."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


class FormatError(ValueError):
    """Malformed or unsupported input; `str()` is a one-line message naming file and location."""

    def __init__(self, file: str | Path | None, problem: str, where: str = "") -> None:
        self.file = str(file) if file is not None else ""
        self.where = where
        self.problem = problem
        loc = f"{self.file}" + (f" at {where}" if where else "")
        super().__init__(f"{loc}: {problem}" if loc else problem)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a big JSON is parsed (or walked): the parser creates
    millions of containers, and the collector would walk the growing heap again and again (a
    110 MB COCO file: 2.0 s to parse instead of 0.8 s).  Process-wide, so keep it short."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def load_json(path: str | Path) -> Any:
    """Parse a JSON file; decoder errors become FormatError with line and column."""
    path = Path(path)
    raw = read_file(path, "a JSON file")
    if not raw or raw.isspace():  # not strip(): that copies the whole file
        raise FormatError(path, "the file is empty")
    try:
        with gc_paused():
            fast = _fast_loads(raw)
            return fast if fast is not _UNPARSED else json.loads(raw)
    except UnicodeDecodeError as e:
        raise FormatError(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise FormatError(path, f"invalid JSON: {e.msg}", f"line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise FormatError(path, "invalid JSON: nested too deeply") from None


def read_file(path: Path, what: str = "a file") -> bytes:
    """The bytes of a regular file (a device or a pipe named like a dataset file would never
    end: /dev/zero, a FIFO); errors name the file."""
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            raise FormatError(path, f"not a regular file, expected {what}")
        return path.read_bytes()
    except FileNotFoundError:
        raise FormatError(path, "file not found") from None
    except IsADirectoryError:
        raise FormatError(path, f"is a folder, expected {what}") from None
    except OSError as e:
        raise FormatError(path, f"cannot read ({e.strerror})") from None


def read_text(path: str | Path) -> str:
    """A UTF-8 text file (class lists, label files); errors name the file and, for bytes that
    are not UTF-8, the line."""
    path = Path(path)
    raw = read_file(path, "a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise FormatError(path, f"not UTF-8 text ({e.reason} at byte {e.start})", f"line {line}") from None


_UNPARSED = object()


def _fast_loads(raw: bytes) -> Any:
    """orjson's parse (2-3x the stdlib's speed on a 100 MB COCO file), or _UNPARSED when orjson
    refuses the text: then the stdlib parser runs, which accepts what orjson does not (a BOM,
    NaN, huge integers) and words the errors (line and column) for the user."""
    import orjson

    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _UNPARSED


MAX_DEPTH = 100  # nesting kept in instance attributes (they are written back as JSON)


def check_depth(value: Any, file: str | Path, where: str, limit: int = MAX_DEPTH) -> Any:
    """`value` unless its arrays/objects nest deeper than `limit` (then a FormatError): such a
    value could not be written back as JSON (the encoder recurses)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            raise FormatError(file, f"nested more than {limit} levels deep", where)
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return value


_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "true/false",
               int: "an integer", float: "a number"}


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    for t, name in _TYPE_NAMES.items():
        if type(value) is t:
            return name
    return type(value).__name__


class JsonReader:
    """A parsed JSON value with its path, for checked access: `r.get("images", list)`."""

    __slots__ = ("file", "path", "value")

    def __init__(self, file: str | Path, value: Any, path: str = "") -> None:
        self.file = file
        self.value = value
        self.path = path

    def error(self, problem: str) -> FormatError:
        return FormatError(self.file, problem, self.path or "the top level")

    def child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def expect(self, *types: type) -> Any:
        if not _is(self.value, types):
            raise self.error(f"expected {_names(types)}, found {type_name(self.value)}")
        return self.value

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def get(self, key: str, *types: type, default: Any = ..., ) -> Any:
        """Value of `key` in this object, checked against `types`; missing -> default or error."""
        obj = self.expect(dict)
        if key not in obj or (obj[key] is None and default is not ...):
            if default is ...:
                raise self.error(f"missing required key {key!r}")
            return default
        value = obj[key]
        if types and not _is(value, types):
            raise FormatError(
                self.file, f"expected {_names(types)}, found {type_name(value)}", self.child_path(key)
            )
        return value

    def child(self, key: str | int, *types: type) -> JsonReader:
        if isinstance(key, int):
            items = self.expect(list)
            value = items[key]
        else:
            value = self.get(key)
        r = JsonReader(self.file, value, self.child_path(key))
        if types:
            r.expect(*types)
        return r

    def items(self, key: str | None = None, default_empty: bool = False) -> list[JsonReader]:
        """The elements of the array at `key` (or of this value) as readers."""
        if key is None:
            base = self
        elif default_empty and not self.has(key):
            return []
        else:
            base = self.child(key, list)
        arr = base.expect(list)
        return [JsonReader(self.file, v, f"{base.path}[{i}]") for i, v in enumerate(arr)]


def _is(value: Any, types: tuple[type, ...]) -> bool:
    if not types:
        return True
    if isinstance(value, bool):  # bool is an int in Python, never in JSON
        return bool in types
    if float in types and isinstance(value, int):
        return True
    return isinstance(value, types)


def _names(types: tuple[type, ...]) -> str:
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
