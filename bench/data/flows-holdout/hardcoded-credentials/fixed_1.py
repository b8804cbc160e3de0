# expect: none
# safe: the database password comes from the environment
import os

import psycopg2


def get_connection():
    return psycopg2.connect(host="db.internal", dbname="orders", user="admin", password=os.environ["DB_PASSWORD"])


def count_orders():
    with get_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM orders")
        return cur.fetchone()[0]
