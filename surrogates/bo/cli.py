"""The ``modbayes`` command line (also ``python -m surrogates.bo``).

    modbayes run --problem hartmann6 [--surrogate gp --budget 100 --seed 0 --out DIR]
    modbayes run --objective obj.py:rosen --bounds=-2:2,-2:2 [--budget 50 --out DIR]   # your own function
    modbayes run --resume DIR [--budget 120]
    modbayes plot DIR... -o regret.png
    modbayes compare --problem branin --surrogates gp --acquisitions logei,ucb --seeds 0-4 --budget 30 --out DIR
    modbayes study studies/bnn_bo_synthetic.toml [--out DIR]     # problems x surrogates x seeds, resumable
    modbayes diagnose DIR [--surrogates gp,ibnn] [--folds loo|K]  # cross-validation of the run's surrogate

The CLI keeps XLA's compiled programs in a persistent cache (``$JAX_COMPILATION_CACHE_DIR``
or ``~/.cache/modbayes/xla``), so a resumed or repeated run does not compile again.
"""

import argparse
import json
import os
import pathlib
import sys

import numpy as np


def _enable_compilation_cache() -> None:
    import jax

    if not jax.config.jax_compilation_cache_dir:
        default = pathlib.Path.home() / ".cache" / "modbayes" / "xla"
        jax.config.update("jax_compilation_cache_dir", os.environ.get("JAX_COMPILATION_CACHE_DIR", str(default)))


def _seeds(text: str) -> list[int]:
    """``"0-4"`` or ``"0,2,5"`` -> list of seeds."""
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]


def _problem(source: dict):
    """The ``Problem`` of a run's config: ``{"problem": NAME}`` (built in) or ``{"objective": SPEC,
    "bounds": [[low, high], ...]}`` (the user's own, ``objective``)."""
    from . import problems
    from .objective import objective_problem

    if source.get("objective") is not None:
        return objective_problem(source["objective"], source["bounds"])
    return problems.get(source["problem"])


def _run_one(source: dict, *, surrogate, acquisition, budget, seed, batch_size, n_init, out, progress):
    """Run, or continue, the run directory ``out``; ``source`` (``_problem``) goes into its config
    for resuming."""
    from .loop import run_loop
    from .optimizer import Optimizer
    from .storage import RunDirectory
    from .strategy import Strategy

    run = RunDirectory(out)
    if run.exists():
        state = run.read_state()
        config = {**state["config"], "budget": budget or state["config"]["budget"]}
        opt = Optimizer.from_state_dict(state["optimizer"])
    else:
        config = {
            **source,
            "surrogate": surrogate,
            "acquisition": acquisition,
            "budget": budget,
            "batch_size": batch_size,
            "seed": seed,
        }
        bounds = _problem(source).bounds
        strategy = Strategy(surrogate=surrogate, acquisition=acquisition, n_init=n_init)
        opt = Optimizer(bounds, strategy=strategy, seed=seed, budget=budget)
    problem = _problem(config)
    result = run_loop(opt, problem.fun, run=run, config=config, progress=progress, ref_point=problem.ref_point)
    return result, problem


def _summarise(result, problem, out) -> None:
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
    if problem.num_objectives == 1:
        regret = "" if problem.optimum is None else f" (simple regret {result.y_best - problem.optimum:.4g})"
        print(f"best value {result.y_best:.6g}{regret} at {np.round(result.x_best, 6).tolist()}")
    else:
        print(f"Pareto front of {len(result.y_best)} points")
    print(f"{len(result.y)} evaluations, {len(result.failures)} failures; {timings}")
    print(f"run directory: {out}")


def cmd_run(args) -> int:
    from .objective import canonical_spec, load_objective, parse_bounds
    from .plotting import plot_runs

    if args.resume is not None:
        out = pathlib.Path(args.resume)
        if not (out / "state.json").exists():
            print(f"error: --resume {out}: not a run directory (no state.json)", file=sys.stderr)
            return 2
        config = json.loads((out / "state.json").read_text())["config"]
        source = {k: config[k] for k in ("problem", "objective", "bounds") if k in config}
    else:
        if (args.problem is None) == (args.objective is None):
            print("error: run needs one of --problem or --objective (or --resume DIR)", file=sys.stderr)
            return 2
        if args.objective is not None:
            if args.bounds is None:
                print("error: --objective needs --bounds=LOW:HIGH,LOW:HIGH,...", file=sys.stderr)
                return 2
            # Both checked here, before anything is compiled or evaluated.
            source = {"objective": canonical_spec(args.objective), "bounds": parse_bounds(args.bounds).tolist()}
            load_objective(source["objective"])
            target, _, function = args.objective.rpartition(":")
            name = f"{pathlib.Path(target).stem if target.endswith('.py') else target}-{function}"
        else:
            source, name = {"problem": args.problem}, args.problem
        out = pathlib.Path(args.out or f"runs/{name}-{args.surrogate}-{args.acquisition}-seed{args.seed}")
        if (out / "state.json").exists():
            print(f"error: {out} already holds a run; use --resume {out} to continue it", file=sys.stderr)
            return 2
    result, problem = _run_one(
        source,
        surrogate=args.surrogate,
        acquisition=args.acquisition,
        budget=args.budget,
        seed=args.seed,
        batch_size=args.batch_size,
        n_init=args.n_init,
        out=out,
        progress=not args.no_progress,
    )
    _summarise(result, problem, out)
    if not args.no_plot:
        plot_runs([out], out / "regret.png")
    return 0


def cmd_plot(args) -> int:
    from .plotting import plot_runs

    plot_runs(args.dirs, args.output, title=args.title)
    print(f"wrote {args.output}")
    return 0


def cmd_compare(args) -> int:
    from .plotting import load_run, plot_runs, trace

    out = pathlib.Path(args.out or f"runs/compare-{args.problem}")
    dirs, rows = [], []
    for surrogate in args.surrogates.split(","):
        for acquisition in args.acquisitions.split(","):
            finals, seconds = [], []
            for seed in _seeds(args.seeds):
                d = out / f"{surrogate}-{acquisition}-seed{seed}"
                result, _ = _run_one(
                    {"problem": args.problem},
                    surrogate=surrogate,
                    acquisition=acquisition,
                    budget=args.budget,
                    seed=seed,
                    batch_size=args.batch_size,
                    n_init=None,
                    out=d,
                    progress=not args.no_progress,
                )
                curve, what = trace(load_run(d))
                finals.append(curve[-1])
                seconds.append(result.timings["total"])
                dirs.append(d)
            q1, med, q3 = np.percentile(finals, [25, 50, 75])
            rows.append(
                {
                    "surrogate": surrogate,
                    "acquisition": acquisition,
                    "metric": what,
                    "median": med,
                    "q1": q1,
                    "q3": q3,
                    "median_seconds": float(np.median(seconds)),
                    "runs": len(finals),
                }
            )
    print(f"{'surrogate/acquisition':28s} {'metric':16s} {'median':>10s} {'q1':>10s} {'q3':>10s} {'s/run':>8s}")
    for r in rows:
        name = f"{r['surrogate']}/{r['acquisition']}"
        print(
            f"{name:28s} {r['metric']:16s} {r['median']:10.4g} {r['q1']:10.4g} {r['q3']:10.4g} "
            f"{r['median_seconds']:8.1f}"
        )
    (out / "compare.json").write_text(json.dumps(rows, indent=1))
    plot_runs(dirs, out / "compare.png", title=f"{args.problem}: median and quartiles over seeds")
    print(f"wrote {out / 'compare.json'} and {out / 'compare.png'}")
    return 0


def cmd_study(args) -> int:
    from .study import load_study, run_study, summary_table

    study = load_study(args.file)
    out = pathlib.Path(args.out or f"runs/study-{study['name']}")
    rows = run_study(study, out, progress=not args.no_progress, compiled=not args.no_compiled)
    print(summary_table(rows), end="")
    print(f"wrote {out / 'summary.md'}, {out / 'summary.json'} and one plot per problem in {out}")
    return 0


def cmd_diagnose(args) -> int:
    from .diagnose import diagnose, plot, table

    folds = args.folds if args.folds == "loo" else int(args.folds)
    names = args.surrogates.split(",") if args.surrogates else None
    results = diagnose(args.dir, names, folds=folds)
    print(table(results), end="")
    path = plot(results, args.output or pathlib.Path(args.dir) / "diagnose.png")
    print(f"wrote {path}")
    return 0


def _outputs(command: argparse.ArgumentParser, func, out_help: str) -> None:
    """The options every command that runs BO takes (``--out``, ``--no-progress``), and its handler."""
    command.add_argument("--out", help=out_help)
    command.add_argument("--no-progress", action="store_true")
    command.set_defaults(func=func)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modbayes", description="Bayesian optimisation with modbayes surrogates")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="run (or resume) one BO run on a benchmark problem or your own function",
        epilog="Your own objective: --objective obj.py:rosen --bounds=-2:2,-2:2 minimises rosen(x: [2]) -> float "
        "over the box (write --bounds=... with '=' when a bound is negative). --resume DIR needs neither flag: "
        "the run's state.json keeps them.",
    )
    run.add_argument("--problem", help="problem name, e.g. branin, hartmann6, levy10")
    run.add_argument(
        "--objective", metavar="SPEC", help="your function to minimise: FILE.py:NAME or package.module:NAME"
    )
    run.add_argument("--bounds", metavar="LOW:HIGH,...", help="the box of --objective, one LOW:HIGH per dimension")
    run.add_argument("--surrogate", default="gp")
    run.add_argument("--acquisition", default="logei")
    run.add_argument("--budget", type=int, default=None, help="total evaluations (default 100)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--batch-size", type=int, default=1)
    run.add_argument("--n-init", type=int, default=None)
    run.add_argument("--resume", metavar="DIR", help="continue the run in DIR")
    run.add_argument("--no-plot", action="store_true", help="do not write DIR/regret.png")
    _outputs(run, cmd_run, "run directory (default runs/PROBLEM-SURROGATE-ACQUISITION-seedK)")

    plot = sub.add_parser("plot", help="regret / hypervolume curves of run directories")
    plot.add_argument("dirs", nargs="+")
    plot.add_argument("-o", "--output", required=True)
    plot.add_argument("--title")
    plot.set_defaults(func=cmd_plot)

    compare = sub.add_parser("compare", help="several surrogates x acquisitions x seeds on one problem")
    compare.add_argument("--problem", required=True)
    compare.add_argument("--surrogates", default="gp")
    compare.add_argument("--acquisitions", default="logei")
    compare.add_argument("--seeds", default="0-4")
    compare.add_argument("--budget", type=int, default=50)
    compare.add_argument("--batch-size", type=int, default=1)
    _outputs(compare, cmd_compare, "results folder (default runs/compare-PROBLEM)")

    study = sub.add_parser("study", help="a TOML grid of problems x surrogates x seeds (resumable)")
    study.add_argument("file", help="study file, e.g. studies/bnn_bo_synthetic.toml")
    study.add_argument("--no-compiled", action="store_true", help="always use the Python loop")
    _outputs(study, cmd_study, "results folder (default runs/study-NAME); rerun to resume")

    diag = sub.add_parser("diagnose", help="cross-validate the run's surrogate (or others) on the run's data")
    diag.add_argument("dir", help="run directory")
    diag.add_argument("--surrogates", help="comma-separated surrogate names (default: the run's own)")
    diag.add_argument("--folds", default="loo", help="'loo' (default) or a number of folds")
    diag.add_argument("-o", "--output", help="plot file (default DIR/diagnose.png)")
    diag.set_defaults(func=cmd_diagnose)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "budget", 1) is None:
        args.budget = None if getattr(args, "resume", None) else 100
    _enable_compilation_cache()
    try:
        return args.func(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
