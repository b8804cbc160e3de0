"""DPO run-folder pieces that need no model: checkpoint completeness, the loss curve, the trl example shape."""

from __future__ import annotations

from secgen.training.dpo import COMPLETE, as_example, last_complete_checkpoint, plot_loss, seconds_before
from secgen.training.pairs import PreferencePair


def test_only_marked_checkpoints_count_and_unmarked_ones_are_removed(tmp_path):
    for step, marked in ((2, True), (4, True), (6, False)):
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        if marked:
            (folder / COMPLETE).write_text("done")
    (tmp_path / "checkpoint-x").mkdir()  # not a step number: left alone
    assert last_complete_checkpoint(tmp_path) == tmp_path / "checkpoint-4"
    assert not (tmp_path / "checkpoint-6").exists()
    assert (tmp_path / "checkpoint-x").exists()
    assert last_complete_checkpoint(tmp_path / "missing") is None


def test_loss_curve_is_a_png_and_nothing_logged_writes_nothing(tmp_path):
    history = [{"step": 1, "loss": 0.69}, {"step": 2, "loss": 0.6}, {"step": 2, "eval_loss": 0.65}]
    path = plot_loss(history, tmp_path / "loss.png", title="t")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert plot_loss([], tmp_path / "none.png", title="t") is None and not (tmp_path / "none.png").exists()


def test_pairs_become_conversational_examples():
    pair = PreferencePair(prompt=({"role": "user", "content": "q"},), chosen="good", rejected="bad",
                          meta={"task_id": "t", "source": "s", "language": "python"})
    example = as_example(pair)
    assert example == {"prompt": [{"role": "user", "content": "q"}],
                       "chosen": [{"role": "assistant", "content": "good"}],
                       "rejected": [{"role": "assistant", "content": "bad"}]}


def test_training_time_is_read_back_from_the_marker(tmp_path):
    (tmp_path / COMPLETE).write_text("step 4\nseconds 123.5\n")
    assert seconds_before(tmp_path) == 123.5
    (tmp_path / COMPLETE).write_text("step 4\n")  # a marker from before the time was kept
    assert seconds_before(tmp_path) == 0.0 and seconds_before(None) == 0.0
