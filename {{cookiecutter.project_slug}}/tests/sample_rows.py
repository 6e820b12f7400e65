"""Rows the migration checks write, and expect every later migration to keep.

Under the id of a revision, the rows to insert into its tables right after it is applied.
The migration checks write them there, then check after every later upgrade and downgrade
that each row is still there, unchanged (while its table and columns exist), whatever else
the table holds: a revision that loses or mangles data fails, naming itself. Undoing the
revision takes its rows away again. Add rows for the tables you add, shaped like your real
data; a data migration that changes them on purpose changes them here too.
"""

from __future__ import annotations

from typing import Any

SAMPLE_ROWS: dict[str, dict[str, list[dict[str, Any]]]] = {
    # 2026_01_01_0000-3f9c2a1b7d40_create_users_table.py
    "3f9c2a1b7d40": {
        "users": [
            {"id": 1, "name": "Ada Lovelace"},
            {"id": 2, "name": "Grace Hopper"},
        ],
    },
}
