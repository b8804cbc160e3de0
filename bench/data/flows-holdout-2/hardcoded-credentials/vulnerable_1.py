# expect: hardcoded-credentials line 6
import pymysql


def get_connection():
    conn = pymysql.connect(host="db.internal.example.com", user="shop_admin", password="Winter2024!shop", database="shop")
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
