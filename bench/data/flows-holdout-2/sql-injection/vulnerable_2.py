# expect: sql-injection line 10
import os
import sys

import psycopg2


def find_orders(conn, customer_email, status):
    with conn.cursor() as cur:
        cur.execute("SELECT id, total, created_at FROM orders WHERE email = '%s' AND status = '%s'" % (customer_email, status))
        return cur.fetchall()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: orders.py EMAIL")
    email = sys.argv[1]
    status = input("Order status [open/closed]: ").strip() or "open"
    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    try:
        for order_id, total, created in find_orders(conn, email, status):
            print(f"{order_id}\t{total}\t{created}")
    finally:
        conn.close()


if __name__ == "__main__":
    main()
