"""Calibration of every surrogate on BO-like data (issue: calibrated surrogates).

Grid: surrogates × problems × n × data seeds. Each cell fits the surrogate with its
defaults on n Sobol points of the problem (scrambled with the data seed; y standardised
on the training set) and predicts latent f at 1000 uniform held-out points. Scores
(``surrogates.calibration.predictive_metrics``): RMSE, NLL, coverage of the 50/90/95%
intervals, Spearman overall and on the best 10%. Reference rows: the know-nothing
predictor N(0, 1) (``know_nothing``) and ``gp``. Writes ``benchmarks/results/calibration.json``
and a reliability diagram next to it (observed against nominal coverage, per surrogate,
pooled over cells).

    python benchmarks/calibration.py [--surrogates gp,ibnn] [--problems hartmann6] [--n 30,100] [--seeds 0-2] [--update]

``--update`` re-measures only the named surrogates: their old cells in ``--out`` are replaced,
every other cell is kept, and the summary and plot are rebuilt from the merged grid.
"""

import argparse
import json
import pathlib
import time

import jax
import numpy as np
from machine import machine_info
from scipy.stats import qmc

import surrogates
from surrogates.bo import problems
from surrogates.calibration import RELIABILITY_LEVELS, know_nothing_nll, predictive_metrics, reliability

PROBLEMS = ("branin", "hartmann6", "ackley10", "bnn_draw100", "poly_draw200")
NUM_HELD_OUT = 1000


def dataset(problem, n: int, seed: int):
    """``(X [n, d], y [n], Xt [1000, d], yt [1000])`` on the unit cube, y and yt standardised by y's moments."""
    bounds = np.asarray(problem.bounds, float)
    lo, hi, d = bounds[:, 0], bounds[:, 1], len(bounds)
    X = qmc.Sobol(d, scramble=True, seed=seed).random(n)
    Xt = np.random.default_rng(10_000 + seed).uniform(size=(NUM_HELD_OUT, d))
    f = lambda U: np.array([float(problem.fun(lo + u * (hi - lo))) for u in U])  # noqa: E731
    y, yt = f(X), f(Xt)
    return X, (y - y.mean()) / y.std(), Xt, (yt - y.mean()) / y.std()


def cell(name: str, data, seed: int) -> dict:
    """Fit ``name`` on ``data`` and score its held-out predictions (with the fit's seconds)."""
    X, y, Xt, yt = data
    t0 = time.perf_counter()
    post = surrogates.get(name).fit(jax.random.PRNGKey(seed), X, y)
    mean, var = (np.asarray(a) for a in post.predict(Xt))
    record = predictive_metrics(mean, var, yt) | {"fit_s": time.perf_counter() - t0}
    _, observed = reliability(mean, var, yt)
    return record | {"reliability": observed.tolist()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--surrogates", default=",".join(surrogates.names()))
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--n", default="30,100")
    parser.add_argument("--seeds", default="0-2")
    parser.add_argument("--out", default=str(pathlib.Path(__file__).parent / "results" / "calibration.json"))
    parser.add_argument("--update", action="store_true", help="replace these surrogates' cells in --out, keep the rest")
    args = parser.parse_args()
    lo, hi = (int(s) for s in args.seeds.split("-"))
    seeds, sizes = list(range(lo, hi + 1)), [int(v) for v in args.n.split(",")]
    names = args.surrogates.split(",")
    out = pathlib.Path(args.out)
    results = {"config": vars(args) | {"seeds": seeds}, "machine": machine_info(), "cells": []}
    kept = []
    if args.update and out.exists():
        old = json.loads(out.read_text())
        kept = [c for c in old["cells"] if c["surrogate"] not in names]
        results["config"] = old["config"] | {"updated": names, "update_machine": results["machine"]}
        results["machine"] = old["machine"]
    for pname in args.problems.split(","):
        problem = problems.get(pname)
        for n in sizes:
            for seed in seeds:
                data = dataset(problem, n, seed)
                base = {"problem": pname, "n": n, "seed": seed}
                results["cells"].append(base | {"surrogate": "know_nothing", "nll": know_nothing_nll(data[3])})
                for name in names:
                    try:
                        record = base | {"surrogate": name} | cell(name, data, seed)
                    except Exception as error:  # noqa: BLE001 - a failing surrogate is a result, not a crash
                        record = base | {"surrogate": name, "error": f"{type(error).__name__}: {error}"[:300]}
                    results["cells"].append(record)
                    short = {k: round(v, 3) for k, v in record.items() if isinstance(v, float)}
                    print(json.dumps(base | {"surrogate": name} | short), flush=True)
                out.with_suffix(".partial.json").write_text(json.dumps(results, indent=1))
    if args.update:
        cell_key = lambda c: (c["problem"], c["n"], c["seed"], c["surrogate"])  # noqa: E731
        fresh = {cell_key(c) for c in results["cells"]}
        results["cells"] = [c for c in kept if cell_key(c) not in fresh] + results["cells"]
    results["summary"] = summarise(results["cells"])
    out.write_text(json.dumps(results, indent=1))
    plot_reliability(results["cells"], out.with_suffix(".png"))
    out.with_suffix(".partial.json").unlink(missing_ok=True)
    print(json.dumps(results["summary"], indent=1))


def summarise(cells: list[dict]) -> dict:
    """Per surrogate: cells within the goal, mean NLL gap to ``gp`` and to know-nothing, coverage range.

    A cell meets the goal when its NLL is at most 0.1 above the know-nothing predictor's (and below
    it where ``gp`` is below it) and its 95% coverage is in [0.85, 0.99].
    """
    key = lambda c: (c["problem"], c["n"], c["seed"])  # noqa: E731
    ref = {key(c): c["nll"] for c in cells if c["surrogate"] == "know_nothing"}
    gp = {key(c): c["nll"] for c in cells if c["surrogate"] == "gp" and "nll" in c}
    summary = {}
    for name in sorted({c["surrogate"] for c in cells} - {"know_nothing"}):
        mine = [c for c in cells if c["surrogate"] == name]
        ok, gaps, gp_gaps, covers = 0, [], [], []
        for c in mine:
            if "nll" not in c:
                continue
            k, nll = key(c), c["nll"]
            bar = ref[k] + 0.1 if gp.get(k, np.inf) > ref[k] else ref[k]
            ok += int(nll <= bar and 0.85 <= c["cover95"] <= 0.99)
            gaps.append(nll - ref[k])
            covers.append(c["cover95"])
            if k in gp:
                gp_gaps.append(nll - gp[k])
        summary[name] = {
            "cells": len(mine),
            "cells_meeting_goal": ok,
            "errors": sum("error" in c for c in mine),
            "mean_nll_minus_know_nothing": float(np.mean(gaps)) if gaps else None,
            "mean_nll_minus_gp": float(np.mean(gp_gaps)) if gp_gaps else None,
            "cover95_min": float(min(covers)) if covers else None,
            "cover95_max": float(max(covers)) if covers else None,
        }
    return summary


def plot_reliability(cells: list[dict], path: pathlib.Path) -> None:
    """Observed against nominal coverage per surrogate, averaged over cells; the diagonal is perfect."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = np.asarray(RELIABILITY_LEVELS)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name in sorted({c["surrogate"] for c in cells if "reliability" in c}):
        curves = np.array([c["reliability"] for c in cells if c["surrogate"] == name and "reliability" in c])
        ax.plot(levels, curves.mean(0), marker=".", label=name)
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="calibrated")
    ax.set(xlabel="nominal coverage of the central interval", ylabel="observed coverage of held-out f")
    ax.set_title("Reliability of each surrogate (mean over cells)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
