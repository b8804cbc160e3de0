"""The loop's settings have one source: the server, the CLI, bench and training start from engine/config.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from secgen.engine.config import BATCH, COMMAND, EDITOR, FEEDBACK_MODES, FeedbackError, feedback_analyzers


def test_the_language_servers_default_loop_is_the_editor_preset():
    from secgen.server.settings import Settings, loop_config, parse_settings

    assert loop_config(Settings()) == EDITOR
    settings, problems = parse_settings({"tMax": 1, "maxTokens": 64, "timeBudgetS": 5})
    assert problems == [] and loop_config(settings) == replace(EDITOR, t_max=1, time_budget_s=5.0,
                                                               params=replace(EDITOR.params, max_tokens=64))


def test_the_commands_default_loop_is_the_command_preset(monkeypatch):
    from secgen.server import cli

    seen = []
    monkeypatch.setattr(cli, "open_backend", lambda spec: seen.append(spec) or object())
    loop = cli._loop(cli.make_parser().parse_args(["generate", "x"]))
    assert loop.config == COMMAND and seen == [None]


def test_bench_and_mining_start_from_the_batch_preset():
    from secgen.bench import humaneval, runner
    from secgen.training.mine import MineSettings

    args = humaneval.make_parser().parse_args([])
    config = runner.RunConfig(benchmark="humaneval", model="m", feedback=args.feedback, t_max=args.t_max,
                              max_tokens=args.max_tokens)
    assert runner.make_loop(object(), config).config == replace(BATCH, analyzers=FEEDBACK_MODES["default"])
    assert (MineSettings().t_max, MineSettings().max_tokens, MineSettings().time_budget_s) == \
           (BATCH.t_max, BATCH.max_tokens, BATCH.time_budget_s)


def test_presets_differ_only_in_budget_and_slow_analyzers():
    assert EDITOR.t_max == COMMAND.t_max == BATCH.t_max == 3  # the paper's t_max
    assert EDITOR.policy == COMMAND.policy == BATCH.policy and not EDITOR.include_slow
    assert EDITOR.max_tokens < COMMAND.max_tokens < BATCH.max_tokens


def test_feedback_modes_and_lists():
    assert feedback_analyzers("bandit") == ("syntax", "tree-sitter", "bandit")
    assert feedback_analyzers(" syntax, dataflow ,") == ("syntax", "dataflow")
    with pytest.raises(FeedbackError, match="name a mode"):
        feedback_analyzers(" , ")
