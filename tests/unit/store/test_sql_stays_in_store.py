"""Every SQL statement lives in segstudio/store: no other package runs a statement, holds SQL
text or names the database engine (so the store can change engine behind its API)."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "segstudio"
SQL = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|REPLACE)\b.{0,200}?\b(FROM|INTO|SET)\b"  # a statement
    r"|\b(CREATE|DROP|ALTER)\s+(TABLE|INDEX|VIEW)\b|\bPRAGMA\b|\bBEGIN\s+IMMEDIATE\b"
    r"|\b(conn|connection|cur|cursor|c|db)\.execute\(|\.execute(many|script)\("  # running one
    r"|^\s*(import\s+sqlite3|from\s+sqlite3\s+import)",  # the engine itself
    re.M,
)


def outside_store() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "store" not in p.relative_to(PACKAGE).parts[:1]]


def test_no_sql_outside_the_store():
    found = []
    for path in outside_store():
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if SQL.search(line):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{n}: {line.strip()}")
    assert found == [], "SQL outside segstudio/store:\n" + "\n".join(found)


def test_the_check_finds_what_it_looks_for():
    hits = [
        'rows = project.conn.execute("SELECT id FROM images")',
        '    "UPDATE images SET status=? WHERE id=?",',
        "c.executemany(sql, rows)",
        "import sqlite3",
        'cur = db.execute("INSERT INTO tracks(id) VALUES (?)")',
    ]
    misses = ["# select the images from the list", "update the view from the model", "runner.execute(args)"]
    assert all(SQL.search(h) for h in hits)
    assert not any(SQL.search(m) for m in misses)
