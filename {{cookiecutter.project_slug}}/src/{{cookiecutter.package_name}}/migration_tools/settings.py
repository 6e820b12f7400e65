"""The migration settings, read from the environment (and from a ``.env`` file, if any).

``MIGRATION_LOCK_TIMEOUT`` bounds the wait for another deploy; ``MIGRATION_TABLE_LOCK_TIMEOUT``
and ``MIGRATION_STATEMENT_TIMEOUT`` bound each migration statement (timeouts.py);
``MIGRATION_TABLE_LOCK_RETRIES`` and ``MIGRATION_TABLE_LOCK_RETRY_PAUSE`` say how often a
migration stopped by the table lock timeout runs again (retries.py).
``.env.example`` documents each one.
"""

from __future__ import annotations

import functools
import math
import os
import re

from dotenv import dotenv_values, find_dotenv, load_dotenv

DEFAULT_MIGRATION_LOCK_TIMEOUT = 60.0
"""Seconds a deploy waits for another deploy that is migrating the same database."""
MAX_TIMEOUT = 86400.0  # a day: every database can wait that long
# ${NAME} or ${NAME:-default} in a value of .env, as python-dotenv expands them.
ENV_REFERENCE = re.compile(r"\$\{([^}:]*)(:-[^}]*)?\}")
DEFAULT_MIGRATION_TABLE_LOCK_TIMEOUT = 5.0
"""Seconds one migration statement may wait for a lock on a table or row; 0: no limit."""
DEFAULT_MIGRATION_STATEMENT_TIMEOUT = 300.0
"""Seconds one migration statement may run; 0: no limit."""
DEFAULT_MIGRATION_TABLE_LOCK_RETRIES = 3
"""Times a migration stopped by the table lock timeout runs again; 0: never."""
MAX_RETRIES = 100
DEFAULT_MIGRATION_TABLE_LOCK_RETRY_PAUSE = 2.0
"""Seconds before the first retry; each later pause is twice the one before."""


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says how to fix it."""


def setting(name: str) -> str | None:
    """A setting from the environment, or else from the .env file of the current directory."""
    problem = read_env_file().get(name)
    if problem:
        raise SettingsError(problem)
    return os.environ.get(name)


@functools.cache
def read_env_file() -> dict[str, str]:
    """Read .env once into the environment; values already in the environment win.

    Returns what is wrong with the lines it read, by setting: a line without a value, or a
    value naming a variable that is not set (python-dotenv expands ``${DB_NAME}`` to
    nothing, which would quietly point the URL at another database).
    """
    path = find_dotenv(usecwd=True)
    try:
        written = dotenv_values(path, interpolate=False) if path else {}
    except UnicodeDecodeError:
        raise SettingsError(".env is not UTF-8 text: save it as UTF-8.") from None
    problems = {
        name: problem
        for name, value in written.items()
        if name not in os.environ and (problem := env_file_problem(name, value, written))
    }
    load_dotenv(path)
    return problems


def env_file_problem(name: str, value: str | None, written: dict[str, str | None]) -> str | None:
    """What is wrong with the line ``name=value`` of .env, if anything."""
    if value is None:
        return f"{name} in .env has no value (the line has no '='): write {name}=..., or delete it."
    for variable, default in ENV_REFERENCE.findall(value):
        if not default and variable not in os.environ and written.get(variable) is None:
            reference = "${" + variable + "}"  # built, not an f-string: braces read as Jinja
            return (
                f"{name} in .env uses {reference}, which is not set: set {variable}, or write "
                "the value itself (a default: ${NAME:-value})."
            )
    return None


def migration_lock_timeout() -> float:
    """Seconds to wait for the migration lock (``MIGRATION_LOCK_TIMEOUT``)."""
    raw, seconds = seconds_setting("MIGRATION_LOCK_TIMEOUT", DEFAULT_MIGRATION_LOCK_TIMEOUT)
    # 0 would mean "wait forever" on PostgreSQL but "do not wait" on MySQL: ask for more.
    if not 0 < seconds <= MAX_TIMEOUT:
        raise SettingsError(
            "MIGRATION_LOCK_TIMEOUT must be a number of seconds above 0 and at most "
            f"{MAX_TIMEOUT:g}, not {raw!r}."
        )
    return seconds


def migration_table_lock_timeout() -> float:
    """Seconds one migration statement may wait for a lock (``MIGRATION_TABLE_LOCK_TIMEOUT``);
    0 turns the limit off. Meanwhile every query on that table waits behind it."""
    return seconds_or_off("MIGRATION_TABLE_LOCK_TIMEOUT", DEFAULT_MIGRATION_TABLE_LOCK_TIMEOUT)


def migration_statement_timeout() -> float:
    """Seconds one migration statement may run (``MIGRATION_STATEMENT_TIMEOUT``); 0 turns
    the limit off."""
    return seconds_or_off("MIGRATION_STATEMENT_TIMEOUT", DEFAULT_MIGRATION_STATEMENT_TIMEOUT)


def migration_table_lock_retries() -> int:
    """Times a migration stopped by the table lock timeout runs again
    (``MIGRATION_TABLE_LOCK_RETRIES``); 0: never."""
    raw = setting("MIGRATION_TABLE_LOCK_RETRIES") or str(DEFAULT_MIGRATION_TABLE_LOCK_RETRIES)
    if not raw.strip().isdigit() or int(raw) > MAX_RETRIES:
        raise SettingsError(
            f"MIGRATION_TABLE_LOCK_RETRIES must be a whole number from 0 (no retry) to "
            f"{MAX_RETRIES}, not {raw!r}."
        )
    return int(raw)


def migration_table_lock_retry_pause() -> float:
    """Seconds before the first retry (``MIGRATION_TABLE_LOCK_RETRY_PAUSE``); each later
    pause is twice the one before."""
    raw, seconds = seconds_setting(
        "MIGRATION_TABLE_LOCK_RETRY_PAUSE", DEFAULT_MIGRATION_TABLE_LOCK_RETRY_PAUSE
    )
    if not 0 <= seconds <= MAX_TIMEOUT:
        raise SettingsError(
            "MIGRATION_TABLE_LOCK_RETRY_PAUSE must be a number of seconds from 0 to "
            f"{MAX_TIMEOUT:g}, not {raw!r}."
        )
    return seconds


def check_migration_settings() -> None:
    """Refuse a malformed migration setting before a migration run connects."""
    migration_lock_timeout()
    migration_table_lock_timeout()
    migration_statement_timeout()
    migration_table_lock_retries()
    migration_table_lock_retry_pause()


def seconds_setting(name: str, default: float) -> tuple[str, float]:
    """The setting ``name`` as written (``default`` when unset), and as a number of seconds
    (NaN when it is not a number: every bound check refuses it)."""
    raw = setting(name) or str(default)
    try:
        return raw, float(raw)
    except ValueError:
        return raw, math.nan


def seconds_or_off(name: str, default: float) -> float:
    """The setting ``name`` in seconds, from 0 (no limit) to a day; ``default`` when unset."""
    raw, seconds = seconds_setting(name, default)
    if not 0 <= seconds <= MAX_TIMEOUT:
        raise SettingsError(
            f"{name} must be a number of seconds from 0 (no limit) to {MAX_TIMEOUT:g}, not {raw!r}."
        )
    return seconds
