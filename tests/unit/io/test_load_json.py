"""`load_json`: the fast parser where it can, the stdlib's where it must, the same values."""

from __future__ import annotations

import json
import math

import pytest

from segstudio.io.errors import _UNPARSED, FormatError, _fast_loads, load_json


def test_same_values_as_the_stdlib(tmp_path):
    doc = {"images": [{"id": 1, "file_name": "ä/b.jpg", "width": 1024}],
           "annotations": [{"bbox": [0.1, 2.5e-7, 3, 4], "segmentation": {"counts": "PPYo0", "size": [7, 9]},
                            "iscrowd": 0, "score": None, "ok": True}]}
    f = tmp_path / "a.json"
    f.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert load_json(f) == json.loads(f.read_bytes()) == doc


def test_what_the_fast_parser_refuses_still_loads(tmp_path):
    """A UTF-8 byte-order mark, NaN and integers past 64 bits are accepted as before."""
    raw = b'\xef\xbb\xbf{"a": NaN, "b": 123456789012345678901234567890}'
    assert _fast_loads(raw) is _UNPARSED
    f = tmp_path / "odd.json"
    f.write_bytes(raw)
    data = load_json(f)
    assert math.isnan(data["a"]) and data["b"] == 123456789012345678901234567890


def test_errors_keep_line_and_column(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text('{"a": [1, 2,\n  ]}')
    with pytest.raises(FormatError, match=r"bad\.json at line 2 column 3: invalid JSON"):
        load_json(f)
    f.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(FormatError, match="not UTF-8"):
        load_json(f)
