# expect: none
# safe: database credentials read from environment variables at runtime
import os

import pymysql


def get_connection():
    conn = pymysql.connect(
        host=os.environ.get("DB_HOST", "db.internal.example.com"),
        user=os.environ["DB_USER"],
        password=os.environ["DB_PASSWORD"],
        database=os.environ.get("DB_NAME", "shop"),
    )
    return conn


def count_customers():
    conn = get_connection()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM customers")
            return cur.fetchone()[0]
    finally:
        conn.close()


if __name__ == "__main__":
    print(count_customers())
