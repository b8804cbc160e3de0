"""The ``secgen`` command line: the repair loop without an editor.

    secgen complete FILE --line L --column C [--json]   # suggestion at a position (1-based)
    secgen generate "task description" [--language python] [--json]
    secgen check PATH... [--format text|json|sarif]     # exit 1 when blocking findings exist
                 [--sarif-analyzer NAME='COMMAND {file}']
    secgen fix FILE [--write]                          # unified diff; --write keeps FILE.orig
    secgen model pull|list|info|serve [NAME]
    secgen bench latency|lsp|soak|humaneval|cyberseceval|sallm|select-hard|report|analyzers|diff|tiers|verify-docs
    secgen train mine|import|dpo|export|iterate           # DPO on flawed/corrected pairs (the [train] extra)

Errors the user can fix (a missing model, a bad spec, an unreadable file) are
one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

from secgen import __version__
from secgen.analyzers import Finding, SeverityPolicy, Source, default_registry
from secgen.analyzers.languages import language_for_path, source_files
from secgen.analyzers.registry import DEFAULT_ANALYZERS, AnalyzerRegistry
from secgen.analyzers.sarif import to_sarif
from secgen.analyzers.sarif_command import LANGUAGE_SUFFIX, SarifCommandAnalyzer
from secgen.engine.backend import BackendError, open_backend
from secgen.engine.catalog import ModelError
from secgen.engine.config import COMMAND, parse_tiers
from secgen.engine.fix import fix_document
from secgen.engine.loop import RepairLoop
from secgen.engine.record import LoopResult
from secgen.server import cli_model


class UsageError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def _add_loop_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=os.environ.get("SECGEN_MODEL"),
                   help="catalog name, .gguf path, hf:REPO/FILE, Hugging Face model folder, http(s)://server, or fake:SCRIPT (default: $SECGEN_MODEL or the catalog default)")
    p.add_argument("--t-max", type=int, default=COMMAND.t_max,
                   help=f"repair rounds after the first attempt (default {COMMAND.t_max})")
    p.add_argument("--time-budget", type=float, default=COMMAND.time_budget_s,
                   help=f"seconds before no new round starts (default {COMMAND.time_budget_s:g})")
    p.add_argument("--max-tokens", type=int, default=COMMAND.max_tokens,
                   help=f"tokens per attempt (default {COMMAND.max_tokens})")
    p.add_argument("--analyzers", default=",".join(COMMAND.analyzers), help="comma-separated analyzer names")
    p.add_argument("--block-at", default="medium", help="lowest severity that blocks: low, medium, high, error")
    p.add_argument("--tiers", default=",".join(COMMAND.tiers),
                   help=f"repair tiers, cheapest first (default {','.join(COMMAND.tiers)}: mechanical fixes, then "
                        f"model repair rounds)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen", description="Code generation checked and repaired by static analyzers.")
    parser.add_argument("--version", action="version", version=f"secgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("complete", help="the suggestion at a position in a file")
    p.add_argument("file", type=Path)
    p.add_argument("--line", type=int, required=True, help="1-based line")
    p.add_argument("--column", type=int, required=True, help="1-based column (characters)")
    _add_loop_options(p)

    p = sub.add_parser("generate", help="code from a task description")
    p.add_argument("task")
    p.add_argument("--language", default="python")
    _add_loop_options(p)

    p = sub.add_parser("check", help="analyzer findings for files")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    p.add_argument("--analyzers", default=",".join(DEFAULT_ANALYZERS))
    p.add_argument("--sarif-analyzer", action="append", default=[], metavar="NAME=COMMAND",
                   help="also run COMMAND, which writes SARIF 2.1.0, as analyzer NAME on every file; placeholders "
                        "{file}, {dir}, {output} (e.g. banditsarif='bandit -f sarif -q {file}'); repeatable")
    p.add_argument("--analyzer-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="seconds before a --sarif-analyzer command is killed (default 60)")
    p.add_argument("--block-at", default="medium")

    p = sub.add_parser("fix", help="repair the flagged regions of a file")
    p.add_argument("file", type=Path)
    p.add_argument("--write", action="store_true", help="apply the fix (the original is kept as FILE.orig)")
    _add_loop_options(p)

    cli_model.add_parsers(sub)
    p = sub.add_parser("bench", help="benchmarks")
    p.add_argument("which", choices=BENCHMARKS)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p = sub.add_parser("train", help="DPO training on flawed/corrected code pairs", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None


def _policy(args) -> SeverityPolicy:
    try:
        return SeverityPolicy.from_dict({"blockAt": args.block_at})
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _analyzers(args) -> tuple[str, ...]:
    return tuple(a.strip() for a in args.analyzers.split(",") if a.strip())


def _loop(args) -> RepairLoop:
    if args.t_max < 0:
        raise UsageError("--t-max must be 0 or more")
    try:
        tiers = parse_tiers(args.tiers)
    except ValueError as exc:
        raise UsageError(f"--tiers: {exc}") from None
    config = replace(COMMAND, t_max=args.t_max, time_budget_s=args.time_budget, analyzers=_analyzers(args),
                     policy=_policy(args), params=replace(COMMAND.params, max_tokens=args.max_tokens), tiers=tiers)
    return RepairLoop(open_backend(args.model), default_registry(), config)


def _print_finding(f: Finding, path: str = "", out=None, blocking: bool = False) -> None:
    out = out or sys.stdout
    mark = "error" if blocking else "note"
    where = f"{path}:" if path else "line "
    message = " ".join(f.message.split())  # one finding, one line
    print(f"{where}{f.line + 1}:{f.range.start.column + 1}: {mark}: [{f.analyzer} {f.label()}] "
          f"{message} (severity {f.severity.name.lower()}, confidence {f.confidence.name.lower()})", file=out)


def _report(result: LoopResult, args, policy: SeverityPolicy) -> int:
    if args.json:
        print(json.dumps(result.to_dict() | {"text": result.text}, indent=2))
        return 0 if result.best else 1
    if result.best is not None:
        sys.stdout.write(result.text if result.text.endswith("\n") else result.text + "\n")
        sys.stdout.flush()
    for failure in result.analyzer_failures.items():
        print("warning: analyzer %s did not run: %s" % failure, file=sys.stderr)
    for a in result.attempts:
        print(f"# attempt {a.round}: {len(a.blocking)} blocking, {len(a.findings)} findings, {a.seconds:.2f}s", file=sys.stderr)
    print(f"# stopped: {result.stop_reason}", file=sys.stderr)
    if result.best is None:
        print("no suggestion", file=sys.stderr)
        return 1
    for f in result.residual:
        _print_finding(f, out=sys.stderr, blocking=policy.is_blocking(f))
    return 0


def cmd_complete(args) -> int:
    text = _read(args.file)
    lines = text.splitlines(keepends=True)
    if not 1 <= args.line <= max(len(lines), 1):
        raise UsageError(f"--line {args.line} is outside {args.file} (1..{len(lines)})")
    line = lines[args.line - 1] if lines else ""
    if not 1 <= args.column <= len(line.rstrip("\r\n")) + 1:
        raise UsageError(f"--column {args.column} is outside line {args.line} (1..{len(line.rstrip(chr(10)))+1})")
    offset = sum(len(l) for l in lines[: args.line - 1]) + args.column - 1
    loop = _loop(args)
    result = loop.complete(text[:offset], text[offset:], language=language_for_path(args.file) or "python",
                           path=str(args.file))
    return _report(result, args, loop.config.policy)


def cmd_generate(args) -> int:
    loop = _loop(args)
    return _report(loop.generate(args.task, language=args.language), args, loop.config.policy)


def _sarif_analyzers(args, registry: AnalyzerRegistry) -> tuple[str, ...]:
    """Register each ``--sarif-analyzer NAME=COMMAND``; their names."""
    if args.analyzer_timeout <= 0:
        raise UsageError("--analyzer-timeout must be more than 0")
    names = []
    for spec in args.sarif_analyzer:
        name, _, command = spec.partition("=")
        if not name.strip() or not command.strip():
            raise UsageError(f"--sarif-analyzer {spec!r}: expected NAME=COMMAND")
        registry.register(name.strip(), partial(SarifCommandAnalyzer, name.strip(), command,
                                                languages=frozenset(LANGUAGE_SUFFIX), timeout_s=args.analyzer_timeout))
        names.append(name.strip())
    return tuple(names)


def cmd_check(args) -> int:
    registry, policy = default_registry(), _policy(args)
    extra = _sarif_analyzers(args, registry)
    names = _analyzers(args) + tuple(n for n in extra if n not in _analyzers(args))
    found: dict[str, list[Finding]] = {}
    texts: dict[str, str] = {}
    failures: dict[str, dict[str, str]] = {}
    spent: dict[str, float] = {}  # seconds per analyzer, over all files
    runs: dict[str, int] = {}
    files = [p for path in args.paths for p in (source_files(path) if path.is_dir() else [path])]
    for path in files:
        texts[str(path)] = _read(path)
        # check is not per keystroke: slow analyzers (external tools) run too
        source = Source(text=texts[str(path)], language=language_for_path(path) or "python", path=str(path))
        report = registry.analyze(source, names, include_slow=True)
        for name, reason in report.failures.items():
            print(f"warning: analyzer {name} did not run on {path}: {reason}", file=sys.stderr)
        found[str(path)] = report.findings
        for name, seconds in report.seconds.items():
            spent[name] = spent.get(name, 0.0) + seconds
            runs[name] = runs.get(name, 0) + 1
        if report.failures:
            failures[str(path)] = report.failures
    blocking = sum(1 for fs in found.values() for f in fs if policy.is_blocking(f))
    if args.format == "sarif":
        print(json.dumps(to_sarif(found, texts, version=__version__, root=Path.cwd(), failures=failures), indent=2))
    elif args.format == "json":
        print(json.dumps({p: [f.to_dict() | {"blocking": policy.is_blocking(f)} for f in fs] for p, fs in found.items()}, indent=2))
    else:
        for path, fs in found.items():
            for f in fs:
                _print_finding(f, path, blocking=policy.is_blocking(f))
        print(f"{len(files)} file(s), {sum(map(len, found.values()))} finding(s), {blocking} blocking", file=sys.stderr)
        if spent:
            print("analyzer time: " + ", ".join(f"{name} {spent[name] * 1000:.1f} ms ({runs[name]} file(s))"
                                                for name in sorted(spent)), file=sys.stderr)
    return 1 if blocking else 0


def cmd_fix(args) -> int:
    text = _read(args.file)
    loop = _loop(args)
    result = fix_document(text, loop, language=language_for_path(args.file) or "python", path=str(args.file))
    diff = result.diff(str(args.file))
    sys.stdout.write(diff)
    sys.stdout.flush()
    for function in result.functions:
        print(f"# {function.describe()}", file=sys.stderr)
    if not result.functions:
        print("# no blocking findings: nothing to fix", file=sys.stderr)
    if args.write and diff:
        backup = args.file.with_name(args.file.name + ".orig")
        shutil.copy2(args.file, backup)
        tmp = args.file.with_name(f".{args.file.name}.secgen-{os.getpid()}")
        tmp.write_text(result.fixed, encoding="utf-8")
        os.replace(tmp, args.file)
        print(f"# wrote {args.file} (original kept as {backup})", file=sys.stderr)
    return 0


BENCHMARKS = {"latency": "latency", "lsp": "lsp", "soak": "soak", "humaneval": "humaneval",
              "cyberseceval": "cyberseceval", "sallm": "sallm", "select-hard": "select", "report": "report", "analyzers": "analyzers", "diff": "diff",
              "tiers": "tiers", "verify-docs": "verify_docs"}


def cmd_bench(args) -> int:
    import importlib

    return importlib.import_module(f"secgen.bench.{BENCHMARKS[args.which]}").main(args.rest)


def cmd_train(args) -> int:
    from secgen.training.cli import main as train_main

    return train_main(args.rest)


COMMANDS = {"complete": cmd_complete, "generate": cmd_generate, "check": cmd_check, "fix": cmd_fix,
            "bench": cmd_bench, "train": cmd_train, **cli_model.COMMANDS}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train"]:  # its own parser, --help included
        return cmd_train(argparse.Namespace(rest=argv[1:]))
    args = make_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (UsageError, BackendError, ModelError) as exc:
        print(f"secgen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("secgen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
