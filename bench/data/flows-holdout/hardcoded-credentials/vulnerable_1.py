# expect: hardcoded-credentials line 6
import psycopg2


def get_connection():
    return psycopg2.connect(host="db.internal", dbname="orders", user="admin", password="Sup3rS3cret!2023")


def count_orders():
    with get_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM orders")
        return cur.fetchone()[0]
