"""Create or drop a database on a server: `python server_db.py create|drop URL NAME`.

Run with a baked project's Python, which has the database drivers.
"""

import sys

from sqlalchemy import create_engine, make_url

DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}

action, raw_url, name = sys.argv[1:]
url = make_url(raw_url)
url = url.set(drivername=DRIVERS.get(url.drivername, url.drivername))
engine = create_engine(url, isolation_level="AUTOCOMMIT")
with engine.connect() as connection:
    if action == "create":
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    else:
        force = " WITH (FORCE)" if engine.dialect.name == "postgresql" else ""
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
engine.dispose()
