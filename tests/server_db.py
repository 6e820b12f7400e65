"""Run admin statements on a database server: `python server_db.py URL STATEMENT...`.

Run with a baked project's Python, which has the database drivers.
"""

import sys

from sqlalchemy import create_engine, make_url

DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}

raw_url, *statements = sys.argv[1:]
url = make_url(raw_url)
url = url.set(drivername=DRIVERS.get(url.drivername, url.drivername))
engine = create_engine(url, isolation_level="AUTOCOMMIT")
with engine.connect() as connection:
    # The driver's own cursor, so a literal "%" is not taken for a parameter placeholder.
    cursor = connection.connection.cursor()
    for statement in statements:
        cursor.execute(statement)
    cursor.close()
engine.dispose()
