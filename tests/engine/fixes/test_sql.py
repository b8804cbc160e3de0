"""The SQL parameterization fix on the shapes the small model writes, through the real analyzers.

Beside the worked examples (``test_examples.py``): the placeholder each driver gets, where a value
can and cannot become a parameter, the two-step ``query = ...; cur.execute(query)`` shape and when
moving its values to the call would change them, the whole mechanical tier with the guard, and the
fixed queries run against a real sqlite database with benign and hostile values.
"""

from __future__ import annotations

import sqlite3

import pytest

from secgen.engine.fixes.sql import FIXES
from tests.engine.fixes.test_commands import assert_clean, fixed_by

(PARAMETERIZE,) = FIXES


@pytest.mark.parametrize(("head", "body", "expected"), [
    pytest.param("", "cur.execute(f\"SELECT * FROM u WHERE name = '{name}' AND age > {age}\")",
                 "cur.execute(\"SELECT * FROM u WHERE name = ? AND age > ?\", (name, age))", id="no-driver"),
    pytest.param("import pymysql\n\n\n", "cur.execute(f\"SELECT * FROM u WHERE name = '{name}' AND age > {age}\")",
                 "cur.execute(\"SELECT * FROM u WHERE name = %s AND age > %s\", (name, age))", id="pymysql"),
    pytest.param("import psycopg2\n\n\n", "cur.execute(f\"SELECT * FROM u WHERE name LIKE 'a%' AND age = {age}\")",
                 "cur.execute(\"SELECT * FROM u WHERE name LIKE 'a%%' AND age = %s\", (age,))", id="percent-escaped"),
    pytest.param("", "cur.execute(f\"INSERT INTO u (name, age) VALUES ('{name}', {age})\")",
                 "cur.execute(\"INSERT INTO u (name, age) VALUES (?, ?)\", (name, age))", id="values"),
    pytest.param("", "cur.execute(\"INSERT INTO u (name, age) VALUES ('%s', %d)\" % (name, age))",
                 "cur.execute(\"INSERT INTO u (name, age) VALUES (?, ?)\", (name, int(age)))", id="percent-d"),
    pytest.param("", "cur.execute(f'SELECT * FROM u WHERE name = \"{name}\"')",
                 "cur.execute('SELECT * FROM u WHERE name = ?', (name,))", id="double-quoted-sqlite"),
    pytest.param("", "cur.execute(f\"SELECT * FROM u WHERE age BETWEEN {name} AND {age}\")",
                 "cur.execute(\"SELECT * FROM u WHERE age BETWEEN ? AND ?\", (name, age))", id="between"),
    pytest.param("", "cur.execute(f\"SELECT * FROM u WHERE id IN ({name}, {age})\")",
                 "cur.execute(\"SELECT * FROM u WHERE id IN (?, ?)\", (name, age))", id="in-list-of-values"),
    pytest.param("import sqlite3\n\n\n", "cur.execute(f\"SELECT * FROM u WHERE age > 1 LIMIT {age}\")",
                 "cur.execute(\"SELECT * FROM u WHERE age > 1 LIMIT ?\", (age,))", id="limit-sqlite"),
    pytest.param("", "cur.execute(f\"SELECT * FROM u WHERE name = 'it''s' AND tag = '{name}-{age}'\")",
                 "cur.execute(\"SELECT * FROM u WHERE name = 'it''s' AND tag = ?\", (f\"{name}-{age}\",))",
                 id="literal-with-text"),
    pytest.param("", "cur.execute(f\"\"\"\n        SELECT * FROM u\n        WHERE name = '{name}'\n    \"\"\")",
                 "cur.execute(\"\"\"\n        SELECT * FROM u\n        WHERE name = ?\n    \"\"\", (name,))",
                 id="triple-quoted"),
])
def test_formatted_query_becomes_parameterized(head, body, expected, analyze):
    vulnerable = f"{head}def f(cur, name, age):\n    {body}\n"
    after = fixed_by(PARAMETERIZE, vulnerable, analyze)
    assert after == f"{head}def f(cur, name, age):\n    {expected}\n"
    assert_clean(PARAMETERIZE, vulnerable, after, analyze)


@pytest.mark.parametrize(("head", "body"), [
    pytest.param("", "cur.execute(f\"SELECT * FROM {name} WHERE id = 1\")", id="table-name"),
    pytest.param("", "cur.execute(f\"SELECT * FROM u_{name} WHERE id = 1\")", id="part-of-a-name"),
    pytest.param("", "cur.execute(f\"SELECT {name} FROM u\")", id="column"),
    pytest.param("", "cur.execute(f\"SELECT * FROM u ORDER BY {name}\")", id="order-by"),
    pytest.param("", "cur.execute(f\"SELECT * FROM u WHERE id IN ({name})\")", id="joined-in-list"),
    pytest.param("", "cur.execute(f\"INSERT INTO u VALUES ({name})\")", id="joined-values"),
    pytest.param("import pymysql\n\n\n", "cur.execute(f\"SELECT * FROM u WHERE id = 1 LIMIT {age}\")",
                 id="limit-mysql"),
    pytest.param("import psycopg2\n\n\n", "cur.execute(f'SELECT * FROM u WHERE name = \"{name}\"')",
                 id="postgres-identifier"),
    pytest.param("import sqlalchemy\n\n\n", "cur.execute(f\"SELECT * FROM u WHERE name = '{name}'\")",
                 id="other-paramstyle"),
    pytest.param("import sqlite3\nimport psycopg2\n\n\n", "cur.execute(f\"SELECT * FROM u WHERE id = {age}\")",
                 id="two-drivers"),
    pytest.param("", "cur.execute(f\"SELECT * FROM u WHERE name = '{name}' AND id = ?\", (age,))",
                 id="params-already"),
    pytest.param("", "cur.execute(f\"SELECT * FROM u WHERE name = 'it''s {name}'\")", id="escaped-quote"),
    pytest.param("", "cur.execute(f\"SELECT * FROM u WHERE name = '{name}' -- by name\")", id="comment"),
    pytest.param("", "cur.execute(f\"SELECT * FROM u WHERE id = {age:.0f}\")", id="format-spec-unquoted"),
])
def test_values_a_placeholder_cannot_take_are_left_alone(head, body, analyze):
    vulnerable = f"{head}def f(cur, name, age):\n    {body}\n"
    assert fixed_by(PARAMETERIZE, vulnerable, analyze) is None


@pytest.mark.parametrize(("between", "fixed"), [
    pytest.param("", True, id="adjacent"),
    pytest.param("    cur = conn.cursor()\n", True, id="unrelated-statement"),
    pytest.param("    print(query)\n", False, id="query-used-elsewhere"),
    pytest.param("    name = name.strip()\n", False, id="value-reassigned"),
])
def test_two_step_query(between, fixed, analyze):
    vulnerable = ("def find(conn, cur, name):\n    query = f\"SELECT id FROM u WHERE name = '{name}'\"\n"
                  f"{between}    cur.execute(query)\n    return cur.fetchall()\n")
    after = fixed_by(PARAMETERIZE, vulnerable, analyze)
    if not fixed:
        assert after is None
        return
    assert after == ("def find(conn, cur, name):\n    query = \"SELECT id FROM u WHERE name = ?\"\n"
                     f"{between}    cur.execute(query, (name,))\n    return cur.fetchall()\n")
    assert_clean(PARAMETERIZE, vulnerable, after, analyze)


@pytest.mark.parametrize("vulnerable", [
    pytest.param("def find(cur, names):\n    query = f\"SELECT id FROM u WHERE name = '{names[0]}'\"\n"
                 "    for n in names:\n        cur.execute(query)\n", id="call-repeated-in-loop"),
    pytest.param("def find(cur, form):\n    query = f\"SELECT id FROM u WHERE name = '{form.get('n')}'\"\n"
                 "    form.clear()\n    cur.execute(query)\n", id="call-moved-past-a-statement"),
])
def test_two_step_values_that_would_change_at_the_call_are_left_alone(vulnerable, analyze):
    assert fixed_by(PARAMETERIZE, vulnerable, analyze) is None


def test_whole_tier_keeps_the_sql_fix(fix):
    vulnerable = ("import sqlite3\nfrom flask import Flask, request\napp = Flask(__name__)\n\n\n"
                  "@app.route('/user')\ndef user():\n    conn = sqlite3.connect('app.db')\n"
                  "    name = request.args.get('name')\n"
                  "    rows = conn.execute(f\"SELECT * FROM users WHERE name = '{name}'\").fetchall()\n"
                  "    return str(rows)\n")
    outcome = fix(vulnerable)
    assert outcome.applied == ("sql-parameterize",), outcome.rejected
    assert "conn.execute(\"SELECT * FROM users WHERE name = ?\", (name,)).fetchall()" in outcome.text
    assert not {f.rule_id for f in outcome.findings} & PARAMETERIZE.rules


@pytest.mark.parametrize("example", PARAMETERIZE.examples[:1] + PARAMETERIZE.examples[3:], ids=["equals", "like"])
def test_fixed_queries_return_the_same_rows_and_refuse_injection(example):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE users (id INTEGER, username TEXT)")
    conn.execute("CREATE TABLE products (name TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [(1, "alice"), (2, "bob")])
    conn.executemany("INSERT INTO products VALUES (?)", [("apple",), ("banana",)])
    before, after = {}, {}
    exec(compile(example.vulnerable, "<before>", "exec"), before)
    exec(compile(example.fixed, "<after>", "exec"), after)
    (name,) = [n for n in after if n in ("find_user", "search")]
    benign = "alice" if name == "find_user" else "an"
    assert after[name](conn, benign) == before[name](conn, benign)
    hostile = "' OR 1=1 OR '"
    assert before[name](conn, hostile)  # the injection the fix removes
    assert not after[name](conn, hostile)
