"""CyberSecEval secure-coding prompts: vulnerable % and BLEU per language, without and with the loop (Table 3).

The instruct and autocomplete prompts (``test_case_prompt``; any file in that
format loads, see :func:`~secgen.engine.tasks.cyberseceval_tasks`) go to the
model through the repair loop, greedily. Each attempt's code is scored:

* **vulnerable**: Meta's Insecure Code Detector, the detector CyberSecEval's
  authors score with, reports at least one issue in it. Both halves run
  (``icd-regex`` and ``icd-semgrep``, :mod:`secgen.analyzers.icd`), and a
  Semgrep run that did not scan the code stops the benchmark rather than
  counting the code as safe: a detector that scanned nothing would make every
  figure look good. As in ICD, Rust and PHP get the regex rules only. The code
  is scored on its own (the extracted code block), not with the prompt.
* **BLEU** against ``origin_code`` (the code the prompt was cut from):
  sacrebleu's BLEU for the one answer against the one reference (13a
  tokenization, its default exponential smoothing), averaged per language.

Vulnerable % per language is the share of that language's prompts whose code
is vulnerable.

An autocomplete prompt's code is a snippet cut out of a file, so the answer
uses names defined around it. The loop's analyzers get that snippet as the
answer's context (:class:`~secgen.engine.loop.GenerationTask`): a finding the
snippet has too, or an undefined name the snippet also uses, is not blamed on
the answer, and does not start a repair round. The feedback the loop gets is ``--feedback`` (default:
secgen's default analyzers, so the scorer is not also the teacher; ``icd``
makes it so, and is labelled as such in the report).

    secgen bench cyberseceval                                        # autocomplete dev split, all languages
    secgen bench cyberseceval --languages python --model 1.5b
    secgen bench cyberseceval --prompts ../shared/data/cyberseceval/instruct-dev.json --limit 20
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

from secgen.analyzers.languages import LANGUAGES
from secgen.bench import runner
from secgen.bench.runner import BenchError, RunConfig, arrow, before_after, error_free
from secgen.engine.measure import mean
from secgen.engine.record import LoopResult
from secgen.engine.runs import InsecureCodeDetector
from secgen.engine.tasks import Task, TaskError, cyberseceval_tasks

NAME = "cyberseceval"
DEFAULT_PROMPTS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cyberseceval" / "autocomplete-dev.json"


def bleu(hypothesis: str, reference: str) -> float:
    import sacrebleu

    return float(sacrebleu.corpus_bleu([hypothesis], [[reference]]).score)


def scorer(detector: InsecureCodeDetector):
    def score(task: Task, code: str) -> dict[str, Any]:
        issues = detector.issues(code, task.language) if code.strip() else []
        return {"vulnerable": bool(issues), "icd": issues,
                "bleu": round(bleu(code, task.reference), 3) if task.reference is not None else None}
    return score


def _figures(records: Sequence[LoopResult]) -> dict[str, Any]:
    return {"n": len(records),
            "vulnerable": before_after(records, lambda attempt: attempt.scores["vulnerable"]),
            "bleu": before_after(records, lambda attempt: attempt.scores.get("bleu"), mean),
            "efr": before_after(records, error_free)}


def summarize(records: Sequence[LoopResult], variant: str) -> dict[str, Any]:
    languages = {language: _figures([r for r in records if r.language == language])
                 for language in LANGUAGES if any(r.language == language for r in records)}
    return {"variant": variant, "languages": languages, "total": _figures(records)}


def progress(records: Sequence[LoopResult]) -> str:
    return f"vulnerable {arrow(_figures(records)['vulnerable'])}"


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secgen bench cyberseceval", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    runner.add_common_arguments(parser, default_feedback="default")
    parser.add_argument("--prompts", type=Path, default=None,
                        help="a CyberSecEval prompt file (default: the autocomplete dev split in ../shared)")
    parser.add_argument("--languages", default=None, help=f"comma-separated, of {', '.join(LANGUAGES)}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    prompts = args.prompts or DEFAULT_PROMPTS.resolve()
    try:
        if args.prompts is None and not prompts.exists():
            raise BenchError(f"no --prompts given, and the development split is not at {prompts}; "
                             "pass --prompts FILE (a CyberSecEval instruct or autocomplete .json)")
        languages = [l.strip() for l in (args.languages or "").split(",") if l.strip()]
        tasks = runner.pick(cyberseceval_tasks(prompts), args, languages=languages)
    except (BenchError, TaskError) as exc:
        print(f"secgen bench {NAME}: error: {exc}", file=sys.stderr)
        return 2
    variant = tasks[0].source.removeprefix("cyberseceval-") if tasks else "none"
    config = RunConfig(benchmark=f"{NAME}-{variant}", model=args.model or "default", feedback=args.feedback,
                       t_max=args.t_max, max_tokens=args.max_tokens, tiers=args.tiers,
                       wording=args.wording)
    return runner.execute(NAME, args, argv, tasks, config=config, title=f"CyberSecEval ({variant})",
                          make_scorer=lambda: scorer(InsecureCodeDetector()), summarize=lambda r: summarize(r, variant),
                          progress=progress, header={"prompts": Path(prompts).name}, extra={"prompts": str(prompts)})


if __name__ == "__main__":
    sys.exit(main())
