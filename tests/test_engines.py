"""Server engines: a password with URL-special characters works online and offline, and a
wrong one gives a one-line error that does not echo the password."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from conftest import admin, server_url
from helpers import BakedProject

PASSWORD = "p%w@d:/x"


@pytest.mark.parametrize("database", ["postgresql", "mysql"])
def test_password_with_special_characters(database: str, cookies: Any, project_venv: Path) -> None:
    server = server_url(database)
    assert server is not None
    answers = {"project_name": f"Secret {database}", "database": database}
    project = BakedProject(cookies.bake(extra_context=answers).project_path, project_venv, answers)
    name = f"template_{uuid.uuid4().hex[:12]}"
    if database == "postgresql":
        setup = [f"CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}'", f"CREATE DATABASE {name} OWNER {name}"]
        teardown = [f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"DROP ROLE IF EXISTS {name}"]
    else:
        setup = [
            f"CREATE DATABASE {name}",
            f"CREATE USER '{name}'@'%' IDENTIFIED BY '{PASSWORD}'",
            f"GRANT ALL ON {name}.* TO '{name}'@'%'",
        ]
        teardown = [f"DROP DATABASE IF EXISTS {name}", f"DROP USER IF EXISTS '{name}'@'%'"]
    address = urlsplit(server)
    url = f"{address.scheme}://{name}:{quote(PASSWORD, safe='')}@{address.hostname}:{address.port}/{name}"

    admin(project, server, *setup)
    try:
        project.run("alembic", "upgrade", "head", DATABASE_URL=url)
        assert "3f9c2a1b7d40 (head)" in project.run("alembic", "current", DATABASE_URL=url).stdout
        offline = project.run("alembic", "upgrade", "head", "--sql", DATABASE_URL=url)
        assert "CREATE TABLE users" in offline.stdout

        if database == "mysql":  # the local PostgreSQL trusts every login, MariaDB checks
            wrong = url.replace(quote(PASSWORD, safe=""), "wrong")
            failed = project.run("alembic", "upgrade", "head", check=False, DATABASE_URL=wrong)
            assert failed.returncode != 0
            assert "FAILED: Cannot connect to the database" in failed.stdout
            assert "wrong" not in failed.stdout + failed.stderr
    finally:
        admin(project, server, *teardown)
