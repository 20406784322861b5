"""``modbayes study``: a grid run through the compiled and the Python loop, a summary, and resume.

Known answers: each compiled cell's runs equal ``minimize_compiled`` of the same
configuration; the summary's medians are recomputed from the run directories; a study
stopped part-way (a whole run deleted, another cut mid-run) continues to the same
trials as the uninterrupted study, without touching the finished runs.
"""

import json
import shutil

import numpy as np
import pytest

from surrogates.bo import problems
from surrogates.bo.cli import main
from surrogates.bo.compiled import minimize_compiled
from surrogates.bo.plotting import load_run, trace
from surrogates.bo.study import check_study, load_study, run_dir, run_study

STUDY = """
name = "tiny"
seeds = [0, 1]
surrogates = ["gp"]

[defaults]
n_init = 4
batch_size = 2
budget = 8

[problems.branin]
[problems.branin_currin]
budget = 6
"""


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    (root / "tiny.toml").write_text(STUDY)
    study = load_study(root / "tiny.toml")
    rows = run_study(study, root / "out", progress=False)
    return study, root / "out", rows


def trials(path):
    return [(t["x"], t["y"]) for t in load_run(path)["trials"]]


def test_compiled_cells_equal_minimize_compiled_and_others_use_the_python_loop(finished):
    study, out, rows = finished
    branin = problems.get("branin")
    direct = minimize_compiled(branin.fun, branin.bounds, n_init=4, budget=8, batch_size=2, seeds=[0, 1])
    for i, seed in enumerate([0, 1]):
        run = load_run(run_dir(out, "branin", "gp", seed))
        assert run["config"]["path"] == "compiled"
        np.testing.assert_allclose([t["x"] for t in run["trials"]], direct.X[i], atol=1e-12)
    multi = load_run(run_dir(out, "branin_currin", "gp", 0))
    assert multi["config"]["path"] == "python" and len(multi["trials"]) == 6


def test_summary_rows_are_the_quartiles_of_the_runs(finished):
    study, out, rows = finished
    assert [(r["problem"], r["runs"]) for r in rows] == [("branin", 2), ("branin_currin", 2)]
    for row in rows:
        finals = [trace(load_run(run_dir(out, row["problem"], "gp", s)))[0][-1] for s in (0, 1)]
        assert row["median"] == pytest.approx(np.median(finals))
        assert row["q1"] == pytest.approx(np.percentile(finals, 25))
    assert rows[0]["metric"] == "simple regret" and rows[1]["metric"] == "hypervolume gap"
    assert json.loads((out / "summary.json").read_text()) == rows
    assert "| branin | gp | simple regret |" in (out / "summary.md").read_text()
    assert (out / "branin.png").stat().st_size > 1000


def test_a_stopped_study_resumes_to_the_same_trials(finished, tmp_path):
    study, out, rows = finished
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    shutil.rmtree(run_dir(copy, "branin", "gp", 1))  # a compiled run never written
    # A Python run killed while its last batch was being evaluated: 4 trials written, the
    # batch of trials 4 and 5 pending in state.json (what run_loop writes before evaluating).
    cut = run_dir(copy, "branin_currin", "gp", 1)
    lines = (cut / "trials.jsonl").read_text().splitlines(keepends=True)
    (cut / "trials.jsonl").write_text("".join(lines[:4]))
    state = json.loads((cut / "state.json").read_text())
    state["pending"] = [{"trial": t["trial"], "x": t["x"]} for t in map(json.loads, lines[4:])]
    (cut / "state.json").write_text(json.dumps(state))
    kept = run_dir(copy, "branin", "gp", 0)
    before = (kept / "trials.jsonl").stat().st_mtime_ns
    resumed = run_study(study, copy, progress=False)
    assert (kept / "trials.jsonl").stat().st_mtime_ns == before  # finished runs are not redone
    for problem in ("branin", "branin_currin"):
        for seed in (0, 1):
            a, b = trials(run_dir(out, problem, "gp", seed)), trials(run_dir(copy, problem, "gp", seed))
            np.testing.assert_allclose(np.asarray([x for x, _ in a]), np.asarray([x for x, _ in b]), atol=1e-9)
    assert [r["median"] for r in resumed] == pytest.approx([r["median"] for r in rows])


def test_the_cli_prints_the_table(finished, capsys):
    study, out, rows = finished
    path = out.parent / "tiny.toml"
    assert main(["study", str(path), "--out", str(out), "--no-progress"]) == 0
    assert "| branin_currin | gp | hypervolume gap |" in capsys.readouterr().out


def test_bad_study_files_name_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="surrogates must be"):
        check_study({"problems": {"branin": {}}})
    with pytest.raises(ValueError, match="problem must be one of"):
        check_study({"surrogates": ["gp"], "problems": {"nope": {}}})
    with pytest.raises(ValueError, match="unknown key"):
        check_study({"surrogates": ["gp"], "problems": {"branin": {}}, "budgets": 3})
    with pytest.raises(ValueError, match=r"\[problems.branin\] takes"):
        check_study({"surrogates": ["gp"], "problems": {"branin": {"budjet": 3}}})
    (tmp_path / "bad.toml").write_text("name = [")
    with pytest.raises(ValueError, match="bad.toml"):
        load_study(tmp_path / "bad.toml")


def test_a_failing_cell_is_reported_and_the_grid_goes_on(tmp_path, monkeypatch):
    from surrogates.bo import study as study_module

    def broken(*args, **kwargs):
        raise RuntimeError("surrogate exploded")

    monkeypatch.setattr(study_module, "_run_compiled", broken)
    study = check_study(
        {
            "seeds": [0],
            "surrogates": ["gp"],
            "defaults": {"budget": 5, "n_init": 4},
            "problems": {"branin": {}, "branin_currin": {}},
        }
    )
    rows = run_study(study, tmp_path, progress=False)
    assert [r["problem"] for r in rows] == ["branin_currin"]
    errors = json.loads((tmp_path / "errors.json").read_text())
    assert errors == [{"problem": "branin", "surrogate": "gp", "error": "RuntimeError: surrogate exploded"}]
