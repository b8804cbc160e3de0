"""The repair loop's settings, and every default they have: the one place a default changes.

:class:`LoopConfig` is what a :class:`~secgen.engine.loop.RepairLoop` runs
with. Three callers want different budgets from the same loop, so the
defaults come as three named presets rather than one set:

* :data:`EDITOR`: a suggestion while the user types (the language server's
  ``maxTokens``, ``tMax``, ``timeBudgetS`` and ``analyzers`` settings start
  here): short answers, a budget of seconds, only the fast analyzers;
* :data:`COMMAND`: one request from the command line (``secgen generate``,
  ``complete``, ``fix``): longer answers, the slow analyzers named run too;
* :data:`BATCH`: a task set run unattended (``secgen bench`` and
  ``secgen train mine``): whole functions, a generous budget, slow analyzers.

All three share ``t_max`` (3 repair rounds, as in the seed paper), the
severity policy and greedy decoding. The server's settings
(:mod:`secgen.server.settings`), the CLI's options, bench's ``RunConfig`` and
training's ``MineSettings`` read their defaults from these presets.

**Feedback modes** name the analyzers that give the loop its feedback in a
batch run (the paper's Tables 4-6): ``bandit``, ``svace``, ``both``,
``default`` (:data:`~secgen.analyzers.registry.DEFAULT_ANALYZERS`), ``icd``,
or a comma-separated list of analyzer names (:func:`feedback_analyzers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from secgen.analyzers import SeverityPolicy
from secgen.analyzers.registry import DEFAULT_ANALYZERS
from secgen.engine.backend import GenerationParams

T_MAX = 3  # repair rounds after the first answer, as in the paper
TIERS = ("fix", "guided", "repair")  # mechanical fixes (no model), guided re-decoding, model repair rounds


@dataclass(frozen=True, kw_only=True)
class LoopConfig:
    t_max: int = T_MAX
    time_budget_s: float | None = 120.0  # no new round starts after this many seconds
    analyzers: tuple[str, ...] = DEFAULT_ANALYZERS
    policy: SeverityPolicy = field(default_factory=SeverityPolicy)
    params: GenerationParams = field(default_factory=GenerationParams)
    include_slow: bool = False  # run "slow" analyzers too (icd-semgrep, svace, ...): not per keystroke
    tiers: tuple[str, ...] = TIERS  # the repair tiers to use, cheapest first (a subset of TIERS)
    samples: int = 3  # guided tier: seeded samples drawn when its greedy re-decode is not clean
    sample_temperature: float = 0.8
    # No repair round starts once this many times the first answer's time has passed (None: no such bound)
    repair_budget_x: float | None = None
    # How a repair round words the findings (secgen.engine.prompts.WORDINGS); None: each path's default
    wording: str | None = None

    @property
    def max_tokens(self) -> int:
        return self.params.max_tokens


EDITOR = LoopConfig(time_budget_s=30.0, params=GenerationParams(max_tokens=128), repair_budget_x=3.0)
COMMAND = LoopConfig(time_budget_s=120.0, params=GenerationParams(max_tokens=384), include_slow=True)
BATCH = LoopConfig(time_budget_s=300.0, params=GenerationParams(max_tokens=512), include_slow=True)

FEEDBACK_MODES: dict[str, tuple[str, ...]] = {
    "bandit": ("syntax", "tree-sitter", "bandit"),
    "svace": ("syntax", "tree-sitter", "svace"),
    "both": ("syntax", "tree-sitter", "bandit", "svace"),
    "default": DEFAULT_ANALYZERS,
    "icd": ("syntax", "tree-sitter", "icd-regex", "icd-semgrep"),
}


def parse_tiers(text: str) -> tuple[str, ...]:
    """``"fix,repair"`` -> the tiers in :data:`TIERS` order; ``ValueError`` naming an unknown one."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in TIERS]
    if unknown or not names:
        raise ValueError(f"unknown repair tier(s) {', '.join(unknown) or '(none named)'}; choose from {', '.join(TIERS)}")
    return tuple(t for t in TIERS if t in names)


class FeedbackError(ValueError):
    """A feedback mode that names nothing."""


def feedback_analyzers(mode: str) -> tuple[str, ...]:
    """The analyzers a feedback mode names: a mode of :data:`FEEDBACK_MODES`, or a comma-separated list."""
    if mode in FEEDBACK_MODES:
        return FEEDBACK_MODES[mode]
    names = tuple(n.strip() for n in mode.split(",") if n.strip())
    if not names:
        raise FeedbackError(f"--feedback: name a mode ({', '.join(FEEDBACK_MODES)}) or analyzers")
    return names
