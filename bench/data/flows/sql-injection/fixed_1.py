# expect: none
# safe: a parameterized query: the name is bound by the driver, never spliced into the SQL
import sqlite3


def find_user(conn: sqlite3.Connection, name):
    """Return the row of the user called `name`, or None."""
    cursor = conn.cursor()
    cursor.execute("SELECT id, name, email FROM users WHERE name = ?", (name,))
    return cursor.fetchone()
