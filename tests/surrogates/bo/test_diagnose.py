"""``modbayes diagnose``: the run's data, cross-validated, in a table and a plot."""

import json

import numpy as np
import pytest

import surrogates
from surrogates.bo import cli, minimize, problems
from surrogates.bo.diagnose import diagnose, run_data


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    problem = problems.get("branin")
    minimize(problem.fun, problem.bounds, budget=12, seed=0, checkpoint=out, progress=False)
    return out


def test_diagnose_cross_validates_the_runs_own_data(run_dir):
    # The run's evaluations, mapped to the cube as the loop maps them, cross-validated by the
    # run's surrogate with its options: the same numbers as calling cross_validate directly.
    U, y, opt = run_data(run_dir)
    trials = [json.loads(line) for line in (run_dir / "trials.jsonl").read_text().splitlines()]
    np.testing.assert_array_equal(y, [t["y"] for t in trials])
    assert U.shape == (12, 2) and np.all((U >= 0) & (U <= 1))
    results = diagnose(run_dir)
    want = surrogates.cross_validate(opt.surrogate, U, y)
    assert list(results) == ["gp"] and results["gp"].method == "closed-form leave-one-out"
    np.testing.assert_allclose(results["gp"].mean, want.mean, rtol=1e-12)
    np.testing.assert_allclose(results["gp"].var, want.var, rtol=1e-12)


def test_cli_prints_the_table_and_writes_the_plot(run_dir, capsys, tmp_path):
    assert (
        cli.main(["diagnose", str(run_dir), "--surrogates", "gp,ibnn", "--folds", "3", "-o", str(tmp_path / "cv.png")])
        == 0
    )
    printed = capsys.readouterr().out
    assert "| gp | 3-fold |" in printed and "| ibnn | 3-fold |" in printed
    assert (tmp_path / "cv.png").stat().st_size > 10_000
    assert cli.main(["diagnose", str(tmp_path / "missing")]) == 2
    assert "state.json" in capsys.readouterr().err
