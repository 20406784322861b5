"""modbayes (GP + LogEI, on-device acquisition optimiser) against BoTorch (SingleTaskGP + qLogNEI).

Both run in this one process, one after the other, on the same problems, initial
design size, budget and seeds:

    python benchmarks/bo_vs_botorch.py [--problems hartmann6,ackley10] [--seeds 0-4] [--iterations 90]

BoTorch: ``SingleTaskGP`` (its defaults: dimension-scaled priors, ``Standardize``),
``fit_gpytorch_mll``, ``qLogNoisyExpectedImprovement`` and ``optimize_acqf(q=1,
num_restarts=10, raw_samples=512)``, inputs scaled to the unit cube. Reported per
method and problem: total wall time including compilation, median seconds per
model-based iteration, and the median and quartiles of the final simple regret.
Results go to ``benchmarks/results/bo_vs_botorch.json``. Needs ``torch`` and ``botorch``.
"""

import argparse
import json
import pathlib
import time

import numpy as np

from surrogates.bo import minimize, problems


def run_modbayes(problem, seed, n_init, iterations):
    res = minimize(problem.fun, problem.bounds, n_init=n_init, budget=n_init + iterations, seed=seed, progress=False)
    per_iteration = [h["seconds"] for h in res.history[n_init:]]
    return float(res.y_best - problem.optimum), per_iteration


def run_botorch(problem, seed, n_init, iterations):
    import torch
    from botorch.acquisition.logei import qLogNoisyExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms import Standardize
    from botorch.optim import optimize_acqf
    from gpytorch.mlls import ExactMarginalLogLikelihood
    from torch.quasirandom import SobolEngine

    torch.manual_seed(seed)
    lo, hi = problem.bounds[:, 0], problem.bounds[:, 1]
    f = lambda u: problem.fun(lo + u * (hi - lo))
    U = SobolEngine(problem.dim, scramble=True, seed=seed).draw(n_init).to(torch.float64)
    Y = torch.tensor([[-f(u.numpy())] for u in U], dtype=torch.float64)  # BoTorch maximises
    box = torch.stack([torch.zeros(problem.dim), torch.ones(problem.dim)]).to(torch.float64)
    per_iteration = []
    for _ in range(iterations):
        start = time.perf_counter()
        model = SingleTaskGP(U, Y, outcome_transform=Standardize(m=1))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        acq = qLogNoisyExpectedImprovement(model, X_baseline=U, prune_baseline=True)
        u, _ = optimize_acqf(acq, bounds=box, q=1, num_restarts=10, raw_samples=512)
        y = torch.tensor([[-f(u[0].numpy())]], dtype=torch.float64)
        U, Y = torch.cat([U, u]), torch.cat([Y, y])
        per_iteration.append(time.perf_counter() - start)
    return float(-Y.max().item() - problem.optimum), per_iteration


def summarise(regrets, seconds, wall):
    q1, med, q3 = np.percentile(regrets, [25, 50, 75])
    return {
        "total_wall_seconds": wall,
        "median_seconds_per_iteration": float(np.median(seconds)),
        "final_regret_median": float(med),
        "final_regret_q1": float(q1),
        "final_regret_q3": float(q3),
        "final_regrets": regrets,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", default="hartmann6,ackley10")
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--n-init", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=90)
    parser.add_argument("--out", default=str(pathlib.Path(__file__).parent / "results" / "bo_vs_botorch.json"))
    parser.add_argument(
        "--methods",
        default="modbayes,botorch",
        help="run only these; the others' entries are kept from --out (e.g. re-measure modbayes after a change)",
    )
    args = parser.parse_args()
    lo, hi = (int(s) for s in args.seeds.split("-"))
    seeds = list(range(lo, hi + 1))
    out = pathlib.Path(args.out)
    previous = json.loads(out.read_text())["problems"] if out.exists() else {}
    results = {"config": vars(args) | {"seeds": seeds}, "problems": {}}
    runners = {"modbayes": run_modbayes, "botorch": run_botorch}
    for name in args.problems.split(","):
        problem = problems.get(name)
        results["problems"][name] = dict(previous.get(name, {}))
        for method in args.methods.split(","):
            run = runners[method]
            start, regrets, seconds = time.perf_counter(), [], []
            for seed in seeds:
                regret, per_iteration = run(problem, seed, args.n_init, args.iterations)
                regrets.append(regret)
                seconds += per_iteration
                speed = np.median(per_iteration)
                print(f"{name} {method} seed {seed}: regret {regret:.4g}, {speed:.3f} s/it", flush=True)
            summary = summarise(regrets, seconds, time.perf_counter() - start)
            results["problems"][name][method] = summary | {"measured": time.strftime("%Y-%m-%d %H:%M")}
            pathlib.Path(args.out).write_text(json.dumps(results, indent=1))
        m, b = results["problems"][name]["modbayes"], results["problems"][name]["botorch"]
        print(
            f"{name}: wall time ratio modbayes/botorch {m['total_wall_seconds'] / b['total_wall_seconds']:.3f}; "
            f"median regret {m['final_regret_median']:.4g} vs {b['final_regret_median']:.4g}",
            flush=True,
        )


if __name__ == "__main__":
    main()
