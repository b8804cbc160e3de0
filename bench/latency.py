"""Latency: what secgen's completion path costs on top of llama.cpp itself.

For a fixed set of fill-in-the-middle completions (a cursor inside a
half-written Python function, several of them the classic insecure spots:
a shell command from user input, a password hash, a pickle from a request,
SQL built from a name, YAML parsing) it measures, in the same run:

1. **raw generation**, the baseline: ``Llama.create_completion`` called
   directly on the FIM token list secgen builds (``LlamaBackend.fim_tokens``),
   greedy, with secgen's FIM stop strings;
2. **secgen completion** with the loop idle (``t_max=0``): the same
   generation through the backend, plus post-processing and analysis of the
   suggestion in its document, no repair rounds. Reported as secgen/raw;
3. **analyzer time**: each analyzer on each suggestion in context and on a
   ~50-line module, in ms, and all analyzers together as a fraction of raw
   generation. A completion analyzes twice (the document before and after the
   suggestion), so secgen's overhead should be about twice that figure;
4. with ``--with-repair``, the full loop (``t_max=3``, every tier) and its repair rounds;
   and, on each case whose first suggestion is flagged, the tiers' own times: every
   mechanical fix of the full loop (applying it, re-analysing the suggestion in its
   document and the guard: ``fix`` p50 / p95 in ms), and a guided re-decode and a model
   repair round each run alone (``tiers=("guided",)`` and ``tiers=("repair",)``, one
   round) on the same flagged suggestion, reported as guided/repair at the median.

Both generation paths start from an empty KV cache (``Llama.reset``), since
llama-cpp-python would otherwise reuse the previous call's prompt and the path
timed second would look faster. Raw and secgen calls alternate, so a process
competing for the CPU slows both alike. Model load and a warm-up call are
excluded and reported separately. With a backend that is not llama.cpp (an
HTTP server, the scripted fake) the baseline is the backend's own ``fim``.

Figures are medians over ``--repeats``; the table goes to stdout, progress to
stderr, and every figure to ``bench-results/latency-<UTC timestamp>.json``.

``--analyzers-only`` needs no model: it times the default analyzers that
check Python (each one, and the set as the loop runs it: one
``registry.analyze`` call, wall clock, the analyzers side by side in the
worker processes of :mod:`secgen.analyzers.workers`, one parse per worker;
and their times added up, the cost on one core) on snippets of about 10, 25, 50, 100 and 200 lines, made of
whole files of the security fixture corpus (:mod:`secgen.bench.flows`: the
functions, Flask views and scripts the data-flow analyzer is built for, so the
worst case for it), and reports p50 and p95 per size over ``--samples``
snippets x ``--repeats`` runs. In the same runs it times a baseline, the same
analyzers one after another in this process, each parsing the text itself,
with Bandit's own node visitor (as before the shared parse and the workers),
and prints the set's time over the baseline's, and the baseline without
``dataflow`` (what the set cost before the data-flow analyzer joined it).

    python -m secgen.bench.latency                       # default model, 64 tokens, 3 repeats
    python -m secgen.bench.latency --with-repair --repeats 1
    python -m secgen.bench.latency --prompt sql_query --prompt yaml_config --max-tokens 32
    SECGEN_MODEL_DIR=/models secgen bench latency --out latency.json
    secgen bench latency --analyzers-only                # analyzers per snippet size, p50/p95, no model
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from secgen.analyzers import Source, default_registry
from secgen.analyzers.registry import DEFAULT_ANALYZERS, AnalyzerRegistry
from secgen.analyzers.bandit import BanditAnalyzer
from secgen.analyzers.syntax import forget_trees
from secgen.bench.harness import (format_load, format_number, load_average, median, positive_int, progress,
                                  publish, ratio)
from secgen.engine.backend import Backend, BackendError, GenerationParams, collect, open_backend
from secgen.engine.loop import LoopConfig, RepairLoop
from secgen.engine.measure import machine_info, percentile
from secgen.engine.record import FIX, GUIDED, REPAIR
from secgen.engine.prompts import FIM_STOPS

RESULTS_DIR = Path("bench-results")


@dataclass(frozen=True, kw_only=True)
class CompletionCase:
    """A cursor in a half-written file: the text before it and after it."""

    name: str
    prefix: str
    suffix: str


CASES: tuple[CompletionCase, ...] = (
    CompletionCase(
        name="shell_command",
        prefix='import subprocess\n\n\ndef run_user_command(cmd: str) -> str:\n'
               '    """Run the command the user typed and return its output."""\n    ',
        suffix='\n\n\nif __name__ == "__main__":\n    print(run_user_command(input("$ ")))\n'),
    CompletionCase(
        name="hash_password",
        prefix='import hashlib\nimport os\n\n\ndef hash_password(password: str) -> str:\n'
               '    """Hash a password for storage in the users table."""\n    salt = os.urandom(16)\n    ',
        suffix='\n\n\ndef verify_password(password: str, stored: str) -> bool:\n'
               '    salt = bytes.fromhex(stored[:32])\n'),
    CompletionCase(
        name="pickle_request",
        prefix='import pickle\n\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n\n'
               '@app.route("/session", methods=["POST"])\ndef load_session():\n'
               '    """Restore the session object the client sent back."""\n    data = request.get_data()\n    ',
        suffix='\n    return {"user": session["user"]}\n'),
    CompletionCase(
        name="sql_query",
        prefix='import sqlite3\n\n\ndef find_user(conn: sqlite3.Connection, name: str):\n'
               '    """Return the row of the user called `name`, or None."""\n    cursor = conn.cursor()\n    ',
        suffix="\n    return cursor.fetchone()\n"),
    CompletionCase(
        name="yaml_config",
        prefix='import yaml\n\n\ndef load_config(path: str) -> dict:\n'
               '    """Read the YAML configuration file at `path`."""\n    with open(path) as f:\n        ',
        suffix='\n\n\nDEFAULTS = {"debug": False, "workers": 4}\n'),
    CompletionCase(
        name="csv_scores",
        prefix='import csv\nfrom pathlib import Path\n\n\ndef read_scores(path: Path) -> dict[str, float]:\n'
               '    """Map each player to their average score in a CSV file with name,score rows."""\n'
               '    totals: dict[str, list[float]] = {}\n    with path.open(newline="") as f:\n'
               '        for row in csv.DictReader(f):\n            ',
        suffix="\n    return {name: sum(s) / len(s) for name, s in totals.items()}\n"),
    CompletionCase(
        name="http_json_midline",
        prefix='import requests\n\n\ndef fetch_json(url: str) -> dict:\n'
               '    """GET `url` and return the decoded JSON body."""\n    response = requests.get(',
        suffix='\n\n\ndef main() -> None:\n    print(fetch_json("https://example.com/api"))\n'),
)

# A module of the size an analyzer sees when a whole small file is checked.
SNIPPET = '''"""User administration helpers."""
import hashlib
import json
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

DB_PATH = Path(os.environ.get("APP_DB", "users.db"))


@dataclass
class User:
    name: str
    email: str
    password_hash: str


def connect() -> sqlite3.Connection:
    conn = sqlite3.connect(DB_PATH)
    conn.row_factory = sqlite3.Row
    return conn


def hash_password(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()


def add_user(conn: sqlite3.Connection, user: User) -> None:
    conn.execute("INSERT INTO users VALUES (?, ?, ?)", (user.name, user.email, user.password_hash))
    conn.commit()


def find_user(conn: sqlite3.Connection, name: str) -> User | None:
    row = conn.execute("SELECT * FROM users WHERE name = '%s'" % name).fetchone()
    return User(**row) if row else None


def export_users(conn: sqlite3.Connection, path: Path) -> int:
    rows = [dict(r) for r in conn.execute("SELECT name, email FROM users")]
    path.write_text(json.dumps(rows, indent=2))
    return len(rows)


def backup(path: Path) -> str:
    out = subprocess.run(f"tar czf {path}.tgz {path}", shell=True, capture_output=True, text=True)
    return out.stdout


if __name__ == "__main__":
    print(export_users(connect(), Path("users.json")))
'''


@dataclass(frozen=True, kw_only=True)
class CaseTiming:
    """Every measurement for one completion case; seconds unless named ``_ms``."""

    name: str
    raw_s: tuple[float, ...]
    secgen_s: tuple[float, ...]
    raw_tokens: int | None = None
    same_output: bool | None = None  # did both paths generate the same text?
    suggestion: str = ""
    analyzer_ms: Mapping[str, float] = field(default_factory=dict)
    repair_s: tuple[float, ...] = ()
    repair_rounds: int | None = None
    repair_stop: str | None = None
    fix_s: tuple[float, ...] = ()  # each mechanical-fix attempt of the full loop
    guided_s: tuple[float, ...] = ()  # a guided re-decode alone, per repeat (flagged cases only)
    repair_round_s: tuple[float, ...] = ()  # a model repair round alone, per repeat (flagged cases only)

    @property
    def raw_median(self) -> float | None:
        return median(self.raw_s)

    @property
    def secgen_median(self) -> float | None:
        return median(self.secgen_s)

    @property
    def analysis_ms(self) -> float:
        return sum(self.analyzer_ms.values())

    def to_dict(self) -> dict:
        raw = self.raw_median
        repair = median(self.repair_s)
        return {
            "name": self.name, "raw_s": list(self.raw_s), "secgen_s": list(self.secgen_s),
            "raw_median_s": raw, "secgen_median_s": self.secgen_median,
            "secgen_vs_raw": ratio(self.secgen_median, raw), "raw_tokens": self.raw_tokens,
            "same_output": self.same_output, "suggestion": self.suggestion,
            "analyzer_ms": dict(self.analyzer_ms), "analysis_ms": self.analysis_ms,
            "analysis_vs_raw": ratio(self.analysis_ms / 1000, raw),
            "repair_s": list(self.repair_s), "repair_median_s": repair, "repair_vs_raw": ratio(repair, raw),
            "repair_rounds": self.repair_rounds, "repair_stop": self.repair_stop,
            "fix_s": list(self.fix_s), "guided_s": list(self.guided_s), "repair_round_s": list(self.repair_round_s),
            "guided_vs_repair_round": ratio(median(self.guided_s), median(self.repair_round_s)),
        }


def summarize(cases: Sequence[CaseTiming]) -> dict:
    """Medians over the cases of their per-case medians, and the ratios between them."""
    raw = median([c.raw_median for c in cases if c.raw_median is not None])
    secgen = median([c.secgen_median for c in cases if c.secgen_median is not None])
    analysis_ms = median([c.analysis_ms for c in cases])
    repair = median([median(c.repair_s) for c in cases if c.repair_s])
    per_case = [r for r in (ratio(c.secgen_median, c.raw_median) for c in cases) if r is not None]
    fixes = [seconds * 1000 for c in cases for seconds in c.fix_s]
    both = [c for c in cases if c.guided_s and c.repair_round_s]
    guided = median([median(c.guided_s) for c in both])
    repair_round = median([median(c.repair_round_s) for c in both])
    clean = [r for c in cases if c.repair_rounds == 0 and (r := ratio(c.secgen_median, c.raw_median)) is not None]
    return {
        "fix_attempts": len(fixes), "fix_p50_ms": percentile(fixes, 50), "fix_p95_ms": percentile(fixes, 95),
        "guided_median_s": guided, "repair_round_median_s": repair_round,
        "guided_vs_repair_round": ratio(guided, repair_round), "tier_cases": len(both),
        "unflagged_cases": len(clean), "unflagged_secgen_vs_raw": median(clean),
        "raw_median_s": raw, "secgen_median_s": secgen, "secgen_vs_raw": ratio(secgen, raw),
        "median_case_secgen_vs_raw": median(per_case),
        "analysis_median_ms": analysis_ms,
        "analysis_vs_raw": ratio(None if analysis_ms is None else analysis_ms / 1000, raw),
        "repair_median_s": repair, "repair_vs_raw": ratio(repair, raw),
    }


def build_report(cases: Sequence[CaseTiming], snippet_ms: Mapping[str, float], *, machine: Mapping,
                 settings: Mapping, model_load_s: float, warmup_s: float,
                 analyzer_failures: Mapping[str, str] | None = None) -> dict:
    return {
        "benchmark": "latency", "schema": 1,
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": dict(machine), "settings": dict(settings),
        "model_load_s": model_load_s, "warmup_s": warmup_s,
        "summary": summarize(cases),
        "cases": [c.to_dict() for c in cases],
        "snippet": {"lines": SNIPPET.count("\n"), "analyzer_ms": dict(snippet_ms),
                    "analysis_ms": sum(snippet_ms.values())},
        "analyzer_failures": dict(analyzer_failures or {}),
    }


def format_report(report: Mapping) -> str:
    """The table and summary a person reads; every figure comes from ``report``."""
    analyzers = list(report["settings"]["analyzers"])
    repair = report["settings"].get("with_repair", False)
    columns = ["case", "raw s", "secgen s", "secgen/raw", "tokens", "same"]
    columns += [f"{a} ms" for a in analyzers] + ["analysis/raw"]
    columns += ["repair s", "rounds", "repair/raw"] if repair else []
    rows = []
    for c in report["cases"]:
        row = [c["name"], format_number(c["raw_median_s"], ".3f"), format_number(c["secgen_median_s"], ".3f"),
               format_number(c["secgen_vs_raw"], ".2f"), format_number(c["raw_tokens"], "d"),
               {True: "yes", False: "no", None: "-"}[c["same_output"]]]
        row += [format_number(c["analyzer_ms"].get(a), ".1f") for a in analyzers]
        row += [format_number(c["analysis_vs_raw"], ".4f")]
        if repair:
            row += [format_number(c["repair_median_s"], ".3f"), format_number(c["repair_rounds"], "d"),
                    format_number(c["repair_vs_raw"], ".2f")]
        rows.append(row)
    s = report["summary"]
    medians = ["median", format_number(s["raw_median_s"], ".3f"), format_number(s["secgen_median_s"], ".3f"),
               format_number(s["secgen_vs_raw"], ".2f"), "", ""] + [""] * len(analyzers)
    medians += [format_number(s["analysis_vs_raw"], ".4f")]
    if repair:
        medians += [format_number(s["repair_median_s"], ".3f"), "", format_number(s["repair_vs_raw"], ".2f")]
    snippet = [f"{report['snippet']['lines']}-line module", "", "", "", "", ""]
    snippet += [format_number(report["snippet"]["analyzer_ms"].get(a), ".1f") for a in analyzers] + [""]
    snippet += ["", "", ""] if repair else []
    table = [columns, *rows, medians, snippet]
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths)))
             for r in table]
    m, st = report["machine"], report["settings"]
    head = (f"secgen latency: {m.get('model_file')} ({m.get('baseline')}), max_tokens={st['max_tokens']}, "
            f"repeats={st['repeats']}, {m.get('cpu_count')} CPUs, {m.get('n_threads') or '?'} threads\n"
            f"model load {report['model_load_s']:.2f} s, warm-up {report['warmup_s']:.2f} s (both excluded); "
            f"load average {format_load(m.get('load_average_before'))} before, "
            f"{format_load(m.get('load_average_after'))} after\n")
    summary = (f"summary: raw {format_number(s['raw_median_s'], '.3f')} s, "
               f"secgen {format_number(s['secgen_median_s'], '.3f')} s, "
               f"secgen/raw {format_number(s['secgen_vs_raw'], '.2f')} (median per case "
               f"{format_number(s['median_case_secgen_vs_raw'], '.2f')}); "
               f"analysis {format_number(s['analysis_median_ms'], '.1f')} ms "
               f"= {format_number(s['analysis_vs_raw'], '.4f')} x raw")
    if repair:
        summary += (f"; full loop {format_number(s['repair_median_s'], '.3f')} s "
                    f"= {format_number(s['repair_vs_raw'], '.2f')} x raw\n"
                    f"tiers: mechanical fix p50 {format_number(s.get('fix_p50_ms'), '.1f')} ms, "
                    f"p95 {format_number(s.get('fix_p95_ms'), '.1f')} ms ({s.get('fix_attempts', 0)} fixes); "
                    f"guided re-decode {format_number(s.get('guided_median_s'), '.3f')} s vs a repair round "
                    f"{format_number(s.get('repair_round_median_s'), '.3f')} s = "
                    f"{format_number(s.get('guided_vs_repair_round'), '.2f')} x at the median "
                    f"({s.get('tier_cases', 0)} flagged cases); unflagged suggestions: secgen/raw "
                    f"{format_number(s.get('unflagged_secgen_vs_raw'), '.2f')} ({s.get('unflagged_cases', 0)} cases)")
    failures = "".join(f"\nanalyzer {n} unavailable: {why}" for n, why in report.get("analyzer_failures", {}).items())
    return head + "\n" + "\n".join(lines) + "\n\n" + summary + failures


def default_out_path(now: datetime | None = None) -> Path:
    now = now or datetime.now(timezone.utc)
    return RESULTS_DIR / f"latency-{now.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}.json"


# -- measuring ---------------------------------------------------------------------


def _llama(backend: Backend):
    """The ``llama_cpp.Llama`` behind a llama.cpp backend, else ``None``."""
    return getattr(backend, "llm", None) if hasattr(backend, "fim_tokens") else None


def _cold(backend: Backend) -> None:
    llm = _llama(backend)
    if llm is not None:
        llm.reset()  # forget the cached prompt: every timed call evaluates its whole prompt


def raw_generate(backend: Backend, case: CompletionCase, params: GenerationParams) -> tuple[str, int | None]:
    """The baseline: llama.cpp on secgen's FIM tokens, or the backend's own ``fim`` (text, tokens)."""
    llm = _llama(backend)
    if llm is None:
        return collect(backend.fim(case.prefix, case.suffix, params)).text, None
    tokens = backend.fim_tokens(case.prefix, case.suffix, params.max_tokens)
    out = llm.create_completion(tokens, max_tokens=params.max_tokens, temperature=params.temperature,
                                top_p=params.top_p, stop=list(params.stop), seed=params.seed, stream=False)
    return out["choices"][0]["text"], out["usage"]["completion_tokens"]


def _timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def time_analyzers(registry: AnalyzerRegistry, names: Sequence[str], text: str, repeats: int) -> dict[str, float]:
    """Median milliseconds of each available analyzer on ``text``.

    Each repeat is one fresh suggestion: the shared parse tree is forgotten first, so the first Python
    analyzer in ``names`` (syntax, by default) pays for parsing and the others reuse its tree, as in the loop.
    """
    source = Source(text=text, path="bench.py")
    analyzers = {n: a for n in names if (a := registry.get(n)) is not None and source.language in a.languages}
    runs = [time_run(analyzers, source) for _ in range(repeats)]
    return {name: statistics.median(run[name] for run in runs) for name in analyzers}


def time_run(analyzers: Mapping[str, Any], source: Source, *, shared: bool = True) -> dict[str, float]:
    """Milliseconds of each analyzer on ``source`` as one fresh suggestion.

    ``shared``: the tree is parsed once, by the first analyzer, and reused by the others, as in the loop;
    otherwise each analyzer parses the text itself (the baseline).
    """
    forget_trees()
    out = {}
    for name, analyzer in analyzers.items():
        if not shared:
            forget_trees()
        out[name] = 1000 * _timed(analyzer.analyze, source)[0]
    return out


@dataclass(frozen=True, kw_only=True)
class LatencyRun:
    """What one benchmark run needs: the backend, analyzers and settings."""

    backend: Backend
    registry: AnalyzerRegistry
    max_tokens: int
    repeats: int
    with_repair: bool = False
    analyzers: tuple[str, ...] = DEFAULT_ANALYZERS

    @property
    def params(self) -> GenerationParams:
        return GenerationParams(max_tokens=self.max_tokens)

    def loop(self, t_max: int) -> RepairLoop:
        config = LoopConfig(t_max=t_max, analyzers=self.analyzers, params=self.params)
        return RepairLoop(self.backend, self.registry, config)

    def raw(self, case: CompletionCase):
        _cold(self.backend)
        return _timed(raw_generate, self.backend, case, replace(self.params, stop=FIM_STOPS))

    def secgen(self, case: CompletionCase, t_max: int = 0):
        _cold(self.backend)
        return _timed(self.loop(t_max).complete, case.prefix, case.suffix)

    def warm_up(self, case: CompletionCase) -> float:
        started = time.perf_counter()
        self.raw(case)
        self.secgen(case)
        return time.perf_counter() - started

    def measure(self, case: CompletionCase) -> CaseTiming:
        raw_s, secgen_s, repair_s = [], [], []
        for _ in range(self.repeats):
            seconds, (raw_text, tokens) = self.raw(case)
            raw_s.append(seconds)
            seconds, result = self.secgen(case)
            secgen_s.append(seconds)
        repair = None
        fix_s, guided_s, repair_round_s = [], [], []
        if self.with_repair:
            for _ in range(self.repeats):
                seconds, repair = self.secgen(case, t_max=LoopConfig().t_max)
                repair_s.append(seconds)
                fix_s += [a.seconds for a in repair.attempts if a.origin == FIX]
            if repair.attempts and repair.attempts[0].blocking:
                for _ in range(self.repeats):
                    guided_s += self.tier_alone(case, GUIDED)
                    repair_round_s += self.tier_alone(case, REPAIR)
        generated = result.attempts[0].raw if result.attempts else ""
        suggestion = result.text
        ms = time_analyzers(self.registry, self.analyzers, case.prefix + suggestion + case.suffix, self.repeats)
        return CaseTiming(name=case.name, raw_s=tuple(raw_s), secgen_s=tuple(secgen_s), raw_tokens=tokens,
                          same_output=generated == raw_text, suggestion=suggestion, analyzer_ms=ms,
                          repair_s=tuple(repair_s), repair_rounds=None if repair is None else len(repair.attempts) - 1,
                          repair_stop=None if repair is None else repair.stop_reason, fix_s=tuple(fix_s),
                          guided_s=tuple(guided_s), repair_round_s=tuple(repair_round_s))

    def tier_alone(self, case: CompletionCase, tier: str) -> list[float]:
        """The seconds of ``tier``'s first attempt when it is the only tier (one round), [] if it made none."""
        _cold(self.backend)
        config = LoopConfig(t_max=1, analyzers=self.analyzers, params=self.params, tiers=(tier,))
        result = RepairLoop(self.backend, self.registry, config).complete(case.prefix, case.suffix)
        return [a.seconds for a in result.attempts if a.origin == tier][:1]


def backend_machine_info(backend: Backend, load_before: list[float] | None = None) -> dict:
    """The machine and model file (:func:`secgen.engine.measure.machine_info`), the backend, and the CPU load
    before and after the run (another process on the CPU slows both paths)."""
    llm = _llama(backend)
    info = machine_info(getattr(backend, "model_path", None))
    return info | {
        "backend": backend.name, "model_file": info["model_file"] or backend.name,
        "n_threads": getattr(llm, "n_threads", None),
        "baseline": "llama.cpp create_completion" if llm is not None else "backend.fim",
        "load_average_before": load_before, "load_average_after": load_average(),
    }


# -- command line ------------------------------------------------------------------


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen bench latency", description=__doc__.split("\n\n")[0],
                                     epilog="examples:\n" + __doc__.rsplit("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model spec (default: the catalog's default model)")
    parser.add_argument("--max-tokens", type=positive_int, default=64, help="tokens per generation, both paths (64)")
    parser.add_argument("--repeats", type=positive_int, default=3, help="timed runs per case; medians are reported (3)")
    parser.add_argument("--with-repair", action="store_true", help="also time the full loop (t_max=3)")
    parser.add_argument("--prompt", action="append", choices=[c.name for c in CASES], dest="prompts",
                        help="run only this case (repeatable; default: all)")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON results file (default: bench-results/latency-<UTC timestamp>.json)")
    parser.add_argument("--analyzers-only", action="store_true",
                        help="no model: the default Python analyzers' p50/p95 per snippet size (10-200 lines)")
    parser.add_argument("--samples", type=positive_int, default=20,
                        help="with --analyzers-only: snippets per size (20); each is timed --repeats times")
    return parser


def run(args: argparse.Namespace, backend: Backend, model_load_s: float) -> dict:
    cases = [c for c in CASES if not args.prompts or c.name in args.prompts]
    load_before = load_average()
    bench = LatencyRun(backend=backend, registry=default_registry(), max_tokens=args.max_tokens,
                       repeats=args.repeats, with_repair=args.with_repair)
    progress("warming up (first call, analyzer imports)...")
    warmup_s = bench.warm_up(cases[0])
    timings = []
    for i, case in enumerate(cases, start=1):
        t = bench.measure(case)
        timings.append(t)
        progress(f"[{i}/{len(cases)}] {case.name}: raw {t.raw_median:.3f} s, secgen {t.secgen_median:.3f} s, "
                 f"analysis {t.analysis_ms:.1f} ms" + (f", full loop {median(t.repair_s):.3f} s, "
                                                        f"repair rounds: {t.repair_rounds}" if t.repair_s else ""))
    snippet_ms = time_analyzers(bench.registry, bench.analyzers, SNIPPET, args.repeats)
    failures = {n: bench.registry.problem(n) for n in bench.analyzers if bench.registry.get(n) is None}
    settings = {"max_tokens": args.max_tokens, "repeats": args.repeats, "with_repair": args.with_repair,
                "analyzers": list(bench.analyzers), "cases": [c.name for c in cases], "temperature": 0.0}
    return build_report(timings, snippet_ms, machine=backend_machine_info(backend, load_before), settings=settings,
                        model_load_s=model_load_s, warmup_s=warmup_s, analyzer_failures=failures)


SIZES = (10, 25, 50, 100, 200)


def sized_snippets(pool: Sequence[str], size: int, count: int) -> list[str]:
    """``count`` snippets of about ``size`` lines: whole texts of ``pool``, from successive starting points.

    Texts are joined with a blank line; one that would take the snippet past ``size`` is skipped while a
    smaller one may still fit, and the snippet ends once nothing more fits (or it reached ``size``).
    """
    snippets = []
    for start in range(count):
        parts: list[str] = []
        lines = 0
        for i in range(start, start + len(pool)):
            text = pool[i % len(pool)].rstrip("\n") + "\n"
            cost = text.count("\n") + (1 if parts else 0)
            if not parts or lines + cost <= size:
                parts.append(text)
                lines += cost
            if lines >= size - 2:
                break
        snippets.append("\n".join(parts))
    return snippets


def analyzer_sizes(registry: AnalyzerRegistry, names: Sequence[str], pool: Sequence[str], *,
                   sizes: Sequence[int] = SIZES, samples: int = 20, repeats: int = 5,
                   baseline: Mapping[str, Any] | None = None, newest: str | None = None) -> dict:
    """p50/p95 milliseconds per analyzer and for the whole set, per snippet size (Python analyzers only).

    The set is timed as the loop runs it: one ``registry.analyze`` call, wall clock (with the default
    registry, its analyzers run side by side in worker processes); each analyzer's time is the one the
    registry reports, and ``sum`` adds them up (what the set costs on one core). ``baseline``: analyzers
    timed in the same runs, right after the set, one after another in this process, each parsing the
    text itself; the report gives the set's time over theirs. ``newest``: an analyzer of the baseline
    whose time is also left out of it, giving what the set cost before that analyzer joined it.
    """
    analyzers = [n for n in names if (a := registry.get(n)) is not None and "python" in a.languages]
    baseline = dict(baseline or {})
    registry.warm(analyzers)  # worker start, imports, rules, Bandit's manager: untimed
    for analyzer in baseline.values():
        analyzer.analyze(Source(text="x = 1\n", path="warm.py"))
    rows = []
    for size in sizes:
        snippets = sized_snippets(pool, size, samples)
        per: dict[str, list[float]] = {n: [] for n in analyzers}
        total: list[float] = []
        summed: list[float] = []
        base_total: list[float] = []
        before: list[float] = []
        for text in snippets:
            source = Source(text=text, path="snippet.py")
            for _ in range(repeats):
                forget_trees()
                wall, report = _timed(registry.analyze, source, analyzers)
                for name, seconds in report.seconds.items():
                    per[name].append(1000 * seconds)
                total.append(1000 * wall)
                summed.append(1000 * sum(report.seconds.values()))
                if baseline:
                    base = time_run(baseline, source, shared=False)
                    base_total.append(sum(base.values()))
                    before.append(sum(ms for name, ms in base.items() if name != newest))
        lines = [t.count("\n") for t in snippets]
        rows.append({"size": size, "mean_lines": round(statistics.mean(lines), 1), "snippets": len(snippets),
                     "runs": len(total),
                     "analyzers": {n: {"p50_ms": round(statistics.median(v), 3), "p95_ms": round(percentile(v, 95), 3)}
                                   for n, v in per.items() if v},
                     "all": {"p50_ms": round(statistics.median(total), 3), "p95_ms": round(percentile(total, 95), 3)},
                     "sum": {"p50_ms": round(statistics.median(summed), 3), "p95_ms": round(percentile(summed, 95), 3)}})
        if base_total:
            p50, p95 = statistics.median(base_total), percentile(base_total, 95)
            rows[-1]["baseline"] = {"p50_ms": round(p50, 3), "p95_ms": round(p95, 3),
                                    "ratio_p50": round(statistics.median(total) / p50, 3),
                                    "ratio_p95": round(percentile(total, 95) / p95, 3)}
            if newest in baseline:
                rows[-1]["before"] = {"without": newest, "p50_ms": round(statistics.median(before), 3),
                                      "p95_ms": round(percentile(before, 95), 3)}
    workers = registry.workers.size if registry.workers is not None and registry.workers.broken is None else 0
    return {"analyzers": analyzers, "baseline": list(baseline), "workers": workers, "sizes": rows}


def format_sizes(result: Mapping) -> str:
    names = result["analyzers"]
    based = any("baseline" in row for row in result["sizes"])
    header = ["lines (mean)", *[f"{n} p50/p95 ms" for n in names], "sum p50/p95 ms", "all p50 ms", "all p95 ms"]
    header += ["baseline p50/p95 ms", "all/baseline p50", "all/baseline p95"] if based else []
    newest = next((row["before"]["without"] for row in result["sizes"] if "before" in row), None)
    header += [f"baseline without {newest} p50/p95 ms"] if newest else []
    out = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    for row in result["sizes"]:
        cells = [f"{row['size']} ({row['mean_lines']:.0f})"]
        cells += [f"{row['analyzers'][n]['p50_ms']:.2f} / {row['analyzers'][n]['p95_ms']:.2f}" for n in names]
        cells += [f"{row['sum']['p50_ms']:.2f} / {row['sum']['p95_ms']:.2f}"]
        cells += [f"{row['all']['p50_ms']:.2f}", f"{row['all']['p95_ms']:.2f}"]
        if based:
            base = row["baseline"]
            cells += [f"{base['p50_ms']:.2f} / {base['p95_ms']:.2f}", f"{base['ratio_p50']:.3f}", f"{base['ratio_p95']:.3f}"]
        if newest:
            cells += [f"{row['before']['p50_ms']:.2f} / {row['before']['p95_ms']:.2f}"]
        out.append("| " + " | ".join(cells) + " |")
    workers = result.get("workers", 0)
    out.append(f"\nall: one registry.analyze call, wall clock, {f'{workers} worker processes' if workers else 'in this process'};"
               " sum: the analyzers' own times added up; baseline: each in this process, parsing for itself"
               + (f"; baseline without {newest}: the set before {newest} joined it" if newest else ""))
    return "\n".join(out)


def main_analyzers(args: argparse.Namespace) -> int:
    from secgen.bench.flows import load_corpus

    pool = [f.text for f in load_corpus()]
    progress(f"timing the default Python analyzers on {len(SIZES)} snippet sizes "
             f"({args.samples} snippets x {args.repeats} runs each)...")
    names = list(DEFAULT_ANALYZERS)
    # The baseline: the same analyzers as before the shared parse, each parsing the text itself, Bandit
    # visiting every node with its own visitor (secgen.analyzers.bandit's module docstring).
    reference = default_registry()
    baseline = {n: (BanditAnalyzer(pruned=False) if n == "bandit" else reference.get(n)) for n in names
                if reference.get(n) is not None and "python" in reference.get(n).languages}
    result = analyzer_sizes(default_registry(), names, pool, samples=args.samples, repeats=args.repeats,
                            baseline=baseline, newest="dataflow")
    report = {"kind": "analyzers", "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": {**machine_info(), "load_average": load_average()}, **result}
    out = args.out or RESULTS_DIR / f"latency-analyzers-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json"
    return publish(report, format_sizes(result), out, prog="secgen bench latency")


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    if args.analyzers_only:
        return main_analyzers(args)
    progress("loading model...")
    try:
        model_load_s, backend = _timed(open_backend, args.model)
    except BackendError as exc:
        hint = "" if "secgen model pull" in str(exc) else "; get the default model with `secgen model pull`"
        print(f"secgen bench latency: error: {exc}{hint}", file=sys.stderr)
        return 2
    try:
        report = run(args, backend, model_load_s)
    except KeyboardInterrupt:
        print("secgen bench latency: interrupted", file=sys.stderr)
        return 130
    finally:
        backend.close()
    return publish(report, format_report(report), args.out or default_out_path(), prog="secgen bench latency")


if __name__ == "__main__":
    sys.exit(main())
