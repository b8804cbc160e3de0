# expect: sql-injection line 8
import sqlite3


def find_user(conn: sqlite3.Connection, name):
    """Return the row of the user called `name`, or None."""
    cursor = conn.cursor()
    cursor.execute(f"SELECT id, name, email FROM users WHERE name = '{name}'")
    return cursor.fetchone()
