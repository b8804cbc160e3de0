"""The tree-sitter analyzer reports the parse errors of the seven non-Python languages."""

from __future__ import annotations

import threading

import pytest

from secgen.analyzers.base import Analyzer, Source
from secgen.analyzers.finding import Confidence, Position, Severity
from secgen.analyzers.registry import DEFAULT_ANALYZERS, AnalyzerRegistry
from secgen.analyzers.treesitter import MAX_FINDINGS, TreeSitterSyntaxAnalyzer, code_point_column

CLEAN = {
    "c": """#include <stdio.h>

static int add(int a, int b) {
    return a + b;
}

int main(void) {
    printf("%d\\n", add(1, 2));
    return 0;
}
""",
    "cpp": """#include <string>
#include <vector>

template <typename T>
T sum(const std::vector<T>& xs) {
    T total{};
    for (const auto& x : xs) total += x;
    return total;
}

class Greeter {
public:
    explicit Greeter(std::string name) : name_(std::move(name)) {}
    std::string greet() const { return "hello " + name_; }
private:
    std::string name_;
};
""",
    "csharp": """using System;
using System.Collections.Generic;

namespace Demo {
    public class Store {
        private readonly Dictionary<string, int> items = new();

        public int Get(string key) => items.TryGetValue(key, out var v) ? v : 0;

        public void Put(string key, int value) {
            items[key] = value;
        }
    }
}
""",
    "java": """import java.util.ArrayList;
import java.util.List;

public class Stack<T> {
    private final List<T> items = new ArrayList<>();

    public void push(T item) {
        items.add(item);
    }

    public T pop() {
        if (items.isEmpty()) {
            throw new IllegalStateException("empty");
        }
        return items.remove(items.size() - 1);
    }
}
""",
    "javascript": """import { readFile } from "node:fs/promises";

export async function load(path) {
  const text = await readFile(path, "utf8");
  return text.split("\\n").map((line) => line.trim()).filter(Boolean);
}

const Button = ({ label }) => <button className="b">{label}</button>;

class Counter {
  #count = 0;
  increment() { return ++this.#count; }
}
""",
    "php": """<?php
declare(strict_types=1);

function find_user(PDO $db, int $id): ?array {
    $stmt = $db->prepare('SELECT * FROM users WHERE id = ?');
    $stmt->execute([$id]);
    $row = $stmt->fetch(PDO::FETCH_ASSOC);
    return $row === false ? null : $row;
}

echo htmlspecialchars($name ?? 'nobody', ENT_QUOTES);
""",
    "rust": """use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Cache {
    items: HashMap<String, u32>,
}

impl Cache {
    pub fn get(&self, key: &str) -> Option<u32> {
        self.items.get(key).copied()
    }

    pub fn put(&mut self, key: impl Into<String>, value: u32) {
        self.items.insert(key.into(), value);
    }
}

fn main() {
    let mut c = Cache::default();
    c.put("a", 1);
    println!("{:?}", c.get("a"));
}
""",
}

# (language, broken text, words the first finding's message contains, its 0-based line)
BROKEN = [
    pytest.param("c", "int f(void) {\n    int x = 1;\n    return x\n}\n", "missing `;`", 2, id="c-missing-semicolon"),
    pytest.param("c", "int main(void) {\n    return 0;\n", "missing `}`", 1, id="c-unclosed-brace"),
    pytest.param("cpp", "class A {\n  int x\n};\n", "missing `;`", 1, id="cpp-member"),
    pytest.param("cpp", "#include <vector>\nint main() {\n    std::vector<int> v = {1, 2;\n    return 0;\n}\n",
                 "missing `}`", 2, id="cpp-unclosed-initializer"),
    pytest.param("csharp", "class A {\n    void F() {\n        int x = 1\n    }\n}\n", "unexpected `int x = 1`", 2,
                 id="csharp-missing-semicolon"),
    pytest.param("java", "class A {\n    void f() {\n        int x = 1\n    }\n}\n", "missing `;`", 2,
                 id="java-missing-semicolon"),
    pytest.param("java", "class A {\n  void f() { foo(; }\n}\n", "unexpected `(`", 1, id="java-bad-call"),
    pytest.param("javascript", "function f() {\n  let x = ;\n}\n", "unexpected `=`", 1, id="javascript-no-value"),
    pytest.param("javascript", "const a = [1, 2;\n", "missing `]`", 0, id="javascript-unclosed-array"),
    pytest.param("php", "<?php\nfunction f() {\n    $x = 1\n    return $x;\n}\n", "missing `;`", 2, id="php-missing-semicolon"),
    pytest.param("php", "if ($x { echo 1; }\n", "missing `)`", 0, id="php-snippet-without-tag"),
    pytest.param("rust", "fn main() {\n    let x = ;\n}\n", "unexpected `=`", 1, id="rust-no-value"),
    pytest.param("rust", "fn f( {\n}\n", "missing `)`", 0, id="rust-unclosed-paren"),
]


@pytest.fixture(scope="module")
def analyzer() -> TreeSitterSyntaxAnalyzer:
    return TreeSitterSyntaxAnalyzer()


def test_is_an_available_fast_analyzer_of_seven_languages(analyzer):
    assert isinstance(analyzer, Analyzer)
    assert analyzer.available() is None
    assert analyzer.speed == "fast"
    assert analyzer.languages == {"c", "cpp", "csharp", "java", "javascript", "php", "rust"}


@pytest.mark.parametrize("language", sorted(CLEAN))
def test_clean_code_has_no_findings(analyzer, language):
    assert analyzer.analyze(Source(text=CLEAN[language], language=language)) == []


@pytest.mark.parametrize(("language", "text", "words", "line"), BROKEN)
def test_broken_code_gives_a_syntax_error_at_the_fault(analyzer, language, text, words, line):
    findings = analyzer.analyze(Source(text=text, language=language))
    assert findings, "no finding"
    first = findings[0]
    assert first.rule_id == "syntax-error" and first.analyzer == "tree-sitter"
    assert first.severity is Severity.ERROR and first.confidence is Confidence.HIGH
    assert words in first.message
    assert first.line == line
    assert first.range.start <= first.range.end


def test_missing_token_is_an_empty_range_where_it_belongs(analyzer):
    [finding] = analyzer.analyze(Source(text="int f(void) {\n    return 1\n}\n", language="c"))
    assert finding.message == "syntax error: missing `;`"
    assert finding.range.start == finding.range.end == Position(line=1, column=12)


def test_columns_count_code_points_not_utf8_bytes(analyzer):
    # "é" and "ü" are two bytes each in UTF-8 and "😀" four: tree-sitter's byte column of `=` is 26.
    text = 'const s = "éü😀"; let x = ;\n'
    [finding] = analyzer.analyze(Source(text=text, language="javascript"))
    assert finding.message == "syntax error: unexpected `=`"
    assert text[finding.range.start.column] == "="
    assert finding.range.start == Position(line=0, column=text.index("= ;"))
    assert finding.range.end == Position(line=0, column=text.index("= ;") + 1)


def test_code_point_column():
    assert code_point_column("abc", 2) == 2
    assert code_point_column("é = 1", 2) == 1
    assert code_point_column("😀x", 4) == 1
    assert code_point_column("é", 1) == 0  # inside a character: the character's start


def test_crlf_lines_keep_their_columns(analyzer):
    [finding] = analyzer.analyze(Source(text="int f(void) {\r\n    return 1\r\n}\r\n", language="c"))
    assert finding.range.start == Position(line=1, column=12)


def test_nested_errors_are_reported_once_and_findings_are_capped(analyzer):
    text = "".join(f"int f{i}(void) {{ return {i} }}\n" for i in range(3 * MAX_FINDINGS))
    findings = analyzer.analyze(Source(text=text, language="c"))
    assert len(findings) == MAX_FINDINGS
    assert len({(f.range.start, f.range.end) for f in findings}) == len(findings)
    assert [f.line for f in findings] == sorted(f.line for f in findings)


def test_php_page_with_html_parses_with_the_html_grammar(analyzer):
    page = "<html><body>\n<?php echo htmlspecialchars($name); ?>\n</body></html>\n"
    assert analyzer.analyze(Source(text=page, language="php")) == []
    broken = "<html><body>\n<?php if ($x) { echo 1 ?>\n</body></html>\n"  # the `{` is never closed
    assert [f.line for f in analyzer.analyze(Source(text=broken, language="php"))] == [1]


def test_empty_text_and_unknown_language(analyzer):
    assert analyzer.analyze(Source(text="", language="rust")) == []
    with pytest.raises(Exception, match="no tree-sitter grammar"):
        analyzer.analyze(Source(text="x", language="cobol"))


def test_parsing_from_threads_at_once(analyzer):
    results, errors = [], []

    def work():
        try:
            for language, text in CLEAN.items():
                results.append(analyzer.analyze(Source(text=text + "}", language=language)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 8 * len(CLEAN) and all(results)


def test_default_analyzers_cover_the_eight_languages():
    registry = AnalyzerRegistry()
    assert "tree-sitter" in DEFAULT_ANALYZERS
    for language, text in CLEAN.items():
        report = registry.analyze(Source(text=text[:-2], language=language))  # cut off the last brace
        assert not report.failures
        assert any(f.rule_id == "syntax-error" for f in report.findings), language
    python = registry.analyze(Source(text="def f(:\n", language="python"))
    assert [f.analyzer for f in python.findings] == ["syntax"]
