"""The run directory: durable appends, truncated last lines, atomic state."""

import json

import pytest

from surrogates.bo.storage import RunDirectory


def test_append_and_read_back(tmp_path):
    run = RunDirectory(tmp_path / "run")
    for i in range(3):
        run.append_trial({"trial": i, "x": [0.1 * i], "y": float(i), "error": None})
    assert [t["trial"] for t in run.read_trials()] == [0, 1, 2]
    run.write_state({"a": 1})
    assert run.read_state() == {"a": 1} and run.exists()


def test_truncated_last_line_is_reported_skipped_and_repaired(tmp_path):
    run = RunDirectory(tmp_path)
    run.append_trial({"trial": 0, "y": 1.0})
    with open(run.trials_path, "a") as f:
        f.write('{"trial": 1, "y": 2.')  # a write cut short by a kill
    with pytest.warns(UserWarning, match="truncated"):
        assert run.read_trials(repair=True) == [{"trial": 0, "y": 1.0}]
    run.append_trial({"trial": 1, "y": 3.0})
    assert [json.loads(line)["y"] for line in run.trials_path.read_text().splitlines()] == [1.0, 3.0]


def test_corrupt_line_in_the_middle_is_an_error(tmp_path):
    run = RunDirectory(tmp_path)
    run.trials_path.write_text('{"trial": 0}\nnot json\n{"trial": 2}\n')
    with pytest.raises(ValueError, match="line 2"):
        run.read_trials()


def test_missing_state_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="not a run directory"):
        RunDirectory(tmp_path).read_state()
