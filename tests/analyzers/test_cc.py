"""GCC (``gcc``, ``g++``, ``gcc-analyzer``) and cppcheck on C and C++: real runs of the installed tools.

A tool that is not installed skips its tests, unless ``SECGEN_REQUIRE_TOOLS=1``
(``make test`` sets it, so CI fails instead), naming the command that installs it.
"""

from __future__ import annotations

import os
import shutil

import pytest

from secgen.analyzers.base import AnalyzerError, Source
from secgen.analyzers.cc import (CppcheckAnalyzer, CppcheckSettings, GccAnalyzer, GccSettings, GccStaticAnalyzer,
                                 GxxAnalyzer)
from secgen.analyzers.finding import Confidence, Position, Severity
from secgen.analyzers.registry import DEFAULT_ANALYZERS, AnalyzerRegistry


def require(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        message = f"{tool} is not installed: apt-get install {package}"
        if os.environ.get("SECGEN_REQUIRE_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def gcc():
    require("gcc", "gcc")
    return GccAnalyzer()


@pytest.fixture
def gxx():
    require("g++", "g++")
    return GxxAnalyzer()


@pytest.fixture
def gcc_analyzer():
    require("gcc", "gcc")
    analyzer = GccStaticAnalyzer()
    reason = analyzer.available()
    if reason:
        pytest.skip(reason)
    return analyzer


@pytest.fixture
def cppcheck():
    require("cppcheck", "cppcheck")
    return CppcheckAnalyzer()


def c(text: str, **kwargs) -> Source:
    return Source(text=text, language="c", **kwargs)


def cpp(text: str, **kwargs) -> Source:
    return Source(text=text, language="cpp", **kwargs)


def rules(findings) -> list[tuple[str, int]]:
    return [(f.rule_id, f.line) for f in findings]


CLEAN_C = """#include <stdio.h>
#include <stdlib.h>

static int sum(const int *xs, size_t n)
{
    int total = 0;
    for (size_t i = 0; i < n; i++)
        total += xs[i];
    return total;
}

int main(void)
{
    int *xs = malloc(3 * sizeof *xs);
    if (xs == NULL)
        return 1;
    for (int i = 0; i < 3; i++)
        xs[i] = i;
    printf("%d\\n", sum(xs, 3));
    free(xs);
    return 0;
}
"""

CLEAN_CPP = """#include <iostream>
#include <numeric>
#include <string>
#include <vector>

static int total(const std::vector<int> &xs)
{
    return std::accumulate(xs.begin(), xs.end(), 0);
}

int main()
{
    std::vector<int> xs{1, 2, 3};
    std::string label = "total";
    std::cout << label << ' ' << total(xs) << '\\n';
    return 0;
}
"""


def test_clean_c_and_cpp_have_no_gcc_findings(gcc, gxx, gcc_analyzer):
    assert gcc.analyze(c(CLEAN_C)) == []
    assert gcc_analyzer.analyze(c(CLEAN_C)) == []
    assert gxx.analyze(cpp(CLEAN_CPP)) == []


def test_clean_c_and_cpp_have_no_cppcheck_findings(cppcheck):
    assert cppcheck.analyze(c(CLEAN_C)) == []
    assert cppcheck.analyze(cpp(CLEAN_CPP)) == []


# gcc and g++ -----------------------------------------------------------------------------------------------

def test_c_syntax_error_is_an_error_at_its_line_with_gccs_fix(gcc):
    findings = gcc.analyze(c("int main(void)\n{\n    int x = 1;\n    return x\n}\n"))
    assert rules(findings) == [("gcc-error", 3)]
    error = findings[0]
    assert error.severity is Severity.ERROR and error.analyzer == "gcc"
    assert error.message == "expected ';' before '}' token"
    assert error.range.start == Position(line=3, column=12)  # just after `x`, where the `;` belongs
    assert error.fix is not None and error.fix.new_text == ";" and error.fix.range.start == Position(line=3, column=12)


def test_cpp_syntax_error_is_an_error_at_its_line(gxx):
    findings = gxx.analyze(cpp("#include <string>\n\nstd::string greet(std::string name) {\n"
                               "    return \"hello \" + name\n}\n"))
    assert rules(findings) == [("gcc-error", 3)]
    assert findings[0].analyzer == "g++" and findings[0].severity is Severity.ERROR
    assert "expected ';'" in findings[0].message


def test_undeclared_function_blocks_and_a_bad_format_is_medium(gcc):
    text = '#include <stdio.h>\n\nvoid show(const char *name)\n{\n    printf("%d\\n", name);\n    greet(name);\n}\n'
    findings = gcc.analyze(c(text))
    assert rules(findings) == [("-Wformat=", 4), ("-Wimplicit-function-declaration", 5)]
    fmt, implicit = findings
    assert fmt.severity is Severity.MEDIUM and fmt.cwe == 686
    assert fmt.range.start == Position(line=4, column=12) and fmt.range.end == Position(line=4, column=14)  # %d
    assert fmt.fix is not None and fmt.fix.new_text == "%s"
    assert fmt.extra["more_info"].startswith("https://gcc.gnu.org/onlinedocs/")
    # GCC 14 rejects an implicit declaration outright: an error on every GCC, as pyflakes' undefined names are.
    assert implicit.severity is Severity.ERROR
    assert implicit.message == "implicit declaration of function 'greet'"
    assert (implicit.range.start.column, implicit.range.end.column) == (4, 9)


def test_plain_warnings_are_low(gcc):
    findings = gcc.analyze(c("int f(int a)\n{\n    int unused;\n    return 0;\n}\n"))
    assert rules(findings) == [("-Wunused-parameter", 0), ("-Wunused-variable", 2)]
    assert {f.severity for f in findings} == {Severity.LOW}


def test_gcc_columns_are_code_points_not_bytes(gcc):
    text = 'void f(void)\n{\n    const char *s = "héllo wörld"; int é_count = undeclared;\n}\n'
    findings = gcc.analyze(c(text))
    error = next(f for f in findings if f.rule_id == "gcc-error")
    line = text.split("\n")[2]
    assert error.line == 2
    assert error.range.start.column == line.index("undeclared")
    assert error.range.end.column == line.index("undeclared") + len("undeclared")


def test_cpp_notes_ride_along_in_the_message(gxx):
    findings = gxx.analyze(cpp("int main() {\n    std::string s = \"x\";\n    return 0;\n}\n"))
    first = findings[0]
    assert (first.rule_id, first.line) == ("gcc-error", 1)
    assert "did you forget to '#include <string>'" in first.message


def test_missing_header_is_low_and_a_header_beside_the_source_is_found(gcc, tmp_path):
    text = '#include "config.h"\n\nint limit(void) { return LIMIT; }\n'
    findings = gcc.analyze(c(text))
    assert rules(findings) == [("gcc-missing-include", 0)]
    assert findings[0].severity is Severity.LOW
    (tmp_path / "config.h").write_text("#define LIMIT 10\n")
    source = c(text, path=str(tmp_path / "limit.c"))
    assert gcc.analyze(source) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.h"]  # nothing written beside the source


def test_an_error_in_an_included_header_is_a_failure_not_a_finding(gcc, tmp_path):
    (tmp_path / "broken.h").write_text("int x = ;\n")
    with pytest.raises(AnalyzerError, match=r"gcc failed \(exit 1\): .*broken\.h:1: expected expression"):
        gcc.analyze(c('#include "broken.h"\n', path=str(tmp_path / "main.c")))


def test_a_bad_flag_is_a_failure(gcc):
    analyzer = GccAnalyzer(GccSettings(flags=("-Wall", "-Wno-such-warning-at-all", "-fno-such-flag")))
    with pytest.raises(AnalyzerError, match="gcc failed .*unrecognized command-line option"):
        analyzer.analyze(c(CLEAN_C))


def test_gcc_is_a_fast_default_and_g_plus_plus_and_the_analyzer_are_slow():
    assert "gcc" in DEFAULT_ANALYZERS and GccAnalyzer.speed == "fast" and GccAnalyzer.languages == {"c"}
    assert GxxAnalyzer.speed == "slow" and GxxAnalyzer.languages == {"cpp"}
    assert GccStaticAnalyzer.speed == "slow" and GccStaticAnalyzer.languages == {"c"}
    assert CppcheckAnalyzer.speed == "fast" and CppcheckAnalyzer.languages == {"c", "cpp"}


def test_registry_runs_gcc_on_c_and_skips_it_for_python(gcc):
    registry = AnalyzerRegistry()
    report = registry.analyze(c("int main(void) { return undeclared; }\n"))
    assert [(f.analyzer, f.rule_id) for f in report.findings if f.analyzer == "gcc"] == [("gcc", "gcc-error")]
    assert "gcc" in report.seconds
    assert "gcc" not in registry.analyze(Source(text="x = 1\n")).seconds


# gcc -fanalyzer --------------------------------------------------------------------------------------------

DOUBLE_FREE = """#include <stdlib.h>

void release(char *p)
{
    free(p);
    free(p);
}
"""

USE_AFTER_FREE = """#include <stdlib.h>

int last(void)
{
    int *p = malloc(sizeof *p);
    if (p == NULL)
        return 0;
    *p = 1;
    free(p);
    return *p;
}
"""


def test_analyzer_finds_a_double_free_with_its_cwe(gcc_analyzer):
    findings = gcc_analyzer.analyze(c(DOUBLE_FREE))
    assert [(f.rule_id, f.line, f.cwe) for f in findings] == [("-Wanalyzer-double-free", 5, 415)]
    assert findings[0].severity is Severity.HIGH and findings[0].analyzer == "gcc-analyzer"
    assert findings[0].range.start == Position(line=5, column=4)


def test_analyzer_finds_a_use_after_free_with_its_cwe(gcc_analyzer):
    findings = gcc_analyzer.analyze(c(USE_AFTER_FREE))
    assert [(f.rule_id, f.line, f.cwe) for f in findings] == [("-Wanalyzer-use-after-free", 9, 416)]
    assert findings[0].severity is Severity.HIGH and findings[0].confidence is Confidence.HIGH
    path = findings[0].extra["path"]
    assert (4, "allocated here") in path and (8, "freed here") in path and path[-1][0] == 9


def test_analyzer_and_gcc_do_not_repeat_each_other(gcc, gcc_analyzer):
    text = DOUBLE_FREE.replace("free(p);\n    free(p);", "int unused;\n    free(p);\n    free(p);")
    assert rules(gcc.analyze(c(text))) == [("-Wunused-variable", 4)]
    assert rules(gcc_analyzer.analyze(c(text))) == [("-Wanalyzer-double-free", 6)]
    # Code that does not compile gives the analyzer nothing to say; gcc reports the error.
    assert gcc_analyzer.analyze(c("int f(void) { return 1 }\n")) == []


# cppcheck --------------------------------------------------------------------------------------------------

def test_cppcheck_out_of_bounds_null_dereference_and_leak(cppcheck):
    text = """#include <stdlib.h>
#include <string.h>

void fill(void)
{
    char buf[10];
    buf[10] = 'x';
}

int deref(void)
{
    int *p = NULL;
    return *p;
}

void leak(void)
{
    char *q = malloc(16);
    strcpy(q, "hi");
}
"""
    findings = [f for f in cppcheck.analyze(c(text)) if f.severity >= Severity.MEDIUM]
    assert [(f.rule_id, f.line, f.cwe) for f in findings] == [
        ("arrayIndexOutOfBounds", 6, 788),
        ("nullPointer", 12, 476),
        ("memleak", 19, 401),
    ]
    assert {f.severity for f in findings} == {Severity.HIGH}
    oob, null, leak = findings
    assert oob.range.start == Position(line=6, column=7)  # the `[` of buf[10]
    assert null.message == "Null pointer dereference: p"
    assert null.range.start.column == 12 and null.range.end.column == 13
    assert null.extra["related"] == [(11, "Assignment 'p=NULL', assigned value is 0")]
    assert leak.message == "Memory leak: q"


def test_cppcheck_on_cpp_and_style_is_low(cppcheck):
    text = "int main()\n{\n    int *p = new int[3];\n    p[1] = 1;\n    delete p;\n    return 0;\n}\n"
    findings = cppcheck.analyze(cpp(text))
    assert [(f.rule_id, f.line, f.cwe, f.severity) for f in findings] == [
        ("mismatchAllocDealloc", 4, 762, Severity.HIGH)]
    style = cppcheck.analyze(c("int f(void)\n{\n    int x = 1;\n    x = 2;\n    return 0;\n}\n"))
    assert style and {f.severity for f in style} == {Severity.LOW}
    assert {f.rule_id for f in style} <= {"unreadVariable", "redundantAssignment"}


def test_cppcheck_columns_are_code_points_and_inline_suppressions_work(cppcheck):
    text = 'int f(void)\n{\n    const char *s = "é"; int a[2]; a[2] = s[0];\n    return a[0];\n}\n'
    findings = [f for f in cppcheck.analyze(c(text)) if f.rule_id == "arrayIndexOutOfBounds"]
    line = text.split("\n")[2]
    assert [(f.line, f.range.start.column) for f in findings] == [(2, line.index("a[2] =") + 1)]
    suppressed = text.replace("a[2] = s[0];", "a[2] = s[0]; // cppcheck-suppress arrayIndexOutOfBounds")
    assert [f for f in cppcheck.analyze(c(suppressed)) if f.rule_id == "arrayIndexOutOfBounds"] == []


def test_cppcheck_writes_nothing_beside_the_source(cppcheck, tmp_path):
    source = c("int main(void) { int *p = 0; return *p; }\n", path=str(tmp_path / "app.c"))
    assert [f.rule_id for f in cppcheck.analyze(source)] == ["nullPointer"]
    assert list(tmp_path.iterdir()) == []


def test_cppcheck_failure_is_an_analyzer_error(cppcheck):
    analyzer = CppcheckAnalyzer(CppcheckSettings(flags=("--no-such-option",)))
    with pytest.raises(AnalyzerError, match="cppcheck failed"):
        analyzer.analyze(c(CLEAN_C))


def test_timeouts_kill_the_tool(gcc):
    with pytest.raises(AnalyzerError, match="gcc timed out"):
        GccAnalyzer(GccSettings(timeout_s=0.001)).analyze(c(CLEAN_C))
    with pytest.raises(ValueError):
        GccSettings(timeout_s=0)
    with pytest.raises(ValueError):
        CppcheckSettings(timeout_s=-1)


def test_cppcheck_timeout_kills_it(cppcheck):
    with pytest.raises(AnalyzerError, match="cppcheck timed out"):
        CppcheckAnalyzer(CppcheckSettings(timeout_s=0.001)).analyze(c(CLEAN_C))


# availability ----------------------------------------------------------------------------------------------

def test_missing_executables_say_how_to_install_them(tmp_path):
    nowhere = str(tmp_path / "bin" / "cppcheck")
    assert CppcheckAnalyzer(CppcheckSettings(cppcheck=nowhere)).available() == \
        f"cppcheck not found at {nowhere} (set the cppcheck path setting)"
    assert CppcheckAnalyzer(CppcheckSettings(cppcheck="secgen-no-cppcheck")).available() == \
        "secgen-no-cppcheck is not installed: apt-get install cppcheck"
    assert GccAnalyzer(GccSettings(gcc=str(tmp_path / "gcc"))).available() == \
        f"gcc not found at {tmp_path / 'gcc'} (set the gcc path setting)"
    assert GxxAnalyzer(GccSettings(gxx="secgen-no-gxx")).available() == \
        "secgen-no-gxx is not installed: apt-get install g++"
    assert GccStaticAnalyzer(GccSettings(gcc="secgen-no-gcc")).available() == \
        "secgen-no-gcc is not installed: apt-get install gcc"


def test_an_unavailable_analyzer_is_a_reported_failure(tmp_path):
    registry = AnalyzerRegistry({"cppcheck": lambda: CppcheckAnalyzer(CppcheckSettings(cppcheck=str(tmp_path / "x")))})
    report = registry.analyze(c(CLEAN_C), ["cppcheck"])
    assert report.findings == [] and report.failures["cppcheck"].startswith("cppcheck not found at")


def test_a_lone_surrogate_in_the_text_is_checked_not_a_crash(gcc, cppcheck):
    """An editor's buffer can hold one (the fuzzer sends them); the file written for the tool keeps its bytes."""
    text = 'int main(void) { const char *s = "\ud800"; return s[0]; }\nint f(void) { return g(); }\n'
    rules = {f.rule_id for f in gcc.analyze(Source(text=text, language="c", path="s.c"))}
    assert rules  # g() is undeclared: gcc ran and reported it
    cppcheck.analyze(Source(text=text, language="c", path="s.c"))  # runs without raising
