# expect: none
# safe: parameterized query with a ? placeholder
import sqlite3


def get_user(username):
    conn = sqlite3.connect("users.db")
    cursor = conn.cursor()
    query = "SELECT id, username, email FROM users WHERE username = ?"
    cursor.execute(query, (username,))
    row = cursor.fetchone()
    conn.close()
    return row


if __name__ == "__main__":
    print(get_user(input("Username: ")))
