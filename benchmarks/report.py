"""Gather ``benchmarks/results/*.json`` into ``benchmarks/README.md``: the benchmark report.

Every number in the report is read from a results file, never typed by hand: re-run a
benchmark, then this script. Known files get a table of modbayes against its peer with
the headline ratio; any other results file is listed with its scalar entries, so a new
benchmark shows up before it has a renderer. PNG plots next to the results are linked.

    python benchmarks/report.py            # writes benchmarks/README.md
"""

import json
import pathlib
from collections.abc import Callable

HERE = pathlib.Path(__file__).parent
RESULTS = HERE / "results"


def fmt(value, digits: int = 3) -> str:
    """A table cell: numbers to ``digits`` significant figures, lists joined, ``None`` as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, list | tuple):
        return ", ".join(fmt(v, digits) for v in value)
    return str(value)


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line(data: dict) -> str:
    """One line on where and when: platform, CPUs, versions, load average, date (whatever the file has)."""
    m = data.get("machine")
    if not isinstance(m, dict):
        return f"Machine: {fmt(m)}, {fmt(data.get('cpus'))} CPUs, date {fmt(data.get('date'))}." if m else ""
    versions = ", ".join(
        f"{k} {m[k]}" for k in ("jax", "numpyro", "blackjax", "torch", "botorch", "arviz") if isinstance(m.get(k), str)
    )
    load = m.get("load_average_start", m.get("load_average"))
    parts = [
        m.get("platform") or m.get("processor"),
        f"{m['cpu_count']} CPUs" if "cpu_count" in m else None,
        versions or None,
        f"load average at start {fmt(load)}" if load else None,
        f"date {m['date']}" if "date" in m else None,
    ]
    return "Machine: " + "; ".join(p for p in parts if p) + "."


def mcmc_vs_numpyro(d: dict) -> str:
    rows = []
    for problem in d["results"]:
        for run in problem["runs"]:
            rows.append([problem["problem"], run["sampler"], run["compile_s"], run["run_s"], run["ess_per_s"]])
    text = table(["problem", "sampler", "compile s", "run s", "min bulk ESS / s"], rows)
    ratios = [
        f"{p['problem']}: " + ", ".join(f"{k} **{fmt(v)}**" for k, v in p["ratios"].items())
        for p in d["results"]
        if p.get("ratios")
    ]
    return text + ("\n\nRatios: " + "; ".join(ratios) if ratios else "")


def smc_vs_blackjax(d: dict) -> str:
    rows = [
        [name, r["compile_seconds"], r["run_seconds_median"], r["log_evidence_mean"], r["log_evidence_sd"]]
        for name, r in d["results"].items()
    ]
    head = table(["library", "compile s", "run s (median)", "log Z mean", "log Z sd"], rows)
    return head + f"\n\nWall-time ratio modbayes / BlackJAX: **{fmt(d['wall_time_ratio_modbayes_over_blackjax'])}**."


def by_problem_and_method(d: dict, peer: str | None = None) -> str:
    """``{"problems": {problem: {method: {final_regret_median, ...}}}}`` (the BO benchmarks)."""
    rows, ratios = [], []
    for problem, methods in d["problems"].items():
        for method, r in methods.items():
            rows.append(
                [
                    problem,
                    method,
                    r.get("final_regret_median"),
                    f"[{fmt(r.get('final_regret_q1'))}, {fmt(r.get('final_regret_q3'))}]",
                    r.get("total_wall_seconds"),
                    r.get("median_seconds_per_iteration", r.get("median_seconds_per_batch")),
                    len(r["runs"]) if "runs" in r else None,
                ]
            )
        if peer and "modbayes" in methods and peer in methods:
            m, b = methods["modbayes"], methods[peer]
            ratios.append(
                f"{problem}: wall time {fmt(m['total_wall_seconds'] / b['total_wall_seconds'])}×, "
                f"median regret {fmt(m['final_regret_median'])} vs {fmt(b['final_regret_median'])}"
            )
    header = ["problem", "method", "final regret (median)", "[q1, q3]", "total s", "s / iteration or batch", "seeds"]
    text = table(header, rows)
    return text + ("\n\nmodbayes against " + peer + ": " + "; ".join(ratios) + "." if ratios else "")


def bnn_surrogate_cost(d: dict) -> str:
    rows = []
    baseline = d.get("baseline", {}).get("steady_seconds", {})
    for r in d["rows"]:
        for name, v in r.items():
            if isinstance(v, dict) and "steady_iteration" in v:
                s, f = v["steady_iteration"], v["first_iteration"]
                before = baseline.get(str(r["n"]), {}).get(name)
                ratio = s["total"] / before if before else None
                rows.append(
                    [r["n"], name, s["total"], before, ratio, s.get("cpu"), s["fit"], s["acquisition"], f["total"]]
                )
        if "numpyro_hmc" in r:
            rows.append(
                [r["n"], "NumPyro HMC (fit only)", None, None, None, None, r["numpyro_hmc"]["steady_fit"], None, None]
            )
    header = ["n", "surrogate", "steady s", "baseline s", "/ baseline", "steady CPU s", "fit s", "acquisition s"]
    header.append("first (compile) s")
    note = f"\n\nBaseline: {d['baseline']['label']}." if "baseline" in d else ""
    ratios = [f"n={r['n']}: {fmt(r['bnn_hmc_fit_vs_numpyro'])}" for r in d["rows"] if "bnn_hmc_fit_vs_numpyro" in r]
    return (
        table(header, rows) + note + ("\n\nbnn_hmc fit / NumPyro HMC fit: " + "; ".join(ratios) + "." if ratios else "")
    )


def kernel_throughput(d: dict) -> str:
    m, b = d["modbayes_nngp"], d["botorch_infinite_width_bnn"]
    rows = [
        [name, r["first_call_seconds"], r["steady_seconds"], r["peak_memory"]["peak_above_baseline_mb"]]
        for name, r in (("modbayes nngp", m), ("BoTorch InfiniteWidthBNNKernel", b))
    ]
    text = table(["kernel", "first call s", "steady s", "peak MB above baseline"], rows)
    return text + (
        f"\n\nRatios modbayes / BoTorch: time **{fmt(d['steady_seconds_ratio_modbayes_over_botorch'])}**, "
        f"memory **{fmt(d['peak_memory_ratio_modbayes_over_botorch'])}**; max |ΔK| / max |K| = "
        f"{fmt(d['agreement']['max_abs_difference_over_max_abs_K'])}."
    )


def compiled_bo(d: dict) -> str:
    devices = d["config"].get("host_devices", 1)
    loops = [(f"modbayes compiled ({devices} host device{'s' * (devices > 1)})", "compiled")]
    if "compiled_one_device" in d:
        loops.append(("modbayes compiled (1 device)", "compiled_one_device"))
    loops += [("modbayes Python loop", "python_loop"), ("BoTorch", "botorch")]
    rows = [[name, d[key]["total_wall_seconds"], d[key].get("final_regret_median")] for name, key in loops]
    text = table(["loop", "total s (with compilation)", "final regret (median)"], rows)
    return text + (
        f"\n\nCompiled / BoTorch **{fmt(d['compiled_over_botorch'])}**"
        + (f" (1 device: **{fmt(d['compiled_one_device_over_botorch'])}**)" if "compiled_one_device" in d else "")
        + f", compiled / Python loop "
        f"**{fmt(d['compiled_over_python_loop'])}**. BoTorch: {d['botorch'].get('source', 'measured here')}."
    )


def dkm_sparse_scale(d: dict) -> str:
    s, g = d["sparse_dkm"], d["nngp_gp_subset"]
    rows = [
        ["sparse DKM", d["config"]["n"], s["fit"]["wall_seconds"], s["compile"]["wall_seconds"], s["rmse"]],
        [f"NNGP GP on a {g['n']}-point subset", g["n"], g["fit_with_compile"]["wall_seconds"], None, g["rmse"]],
    ]
    goal = f"\n\nGoal: fit ≤ {fmt(d['goal_fit_seconds'])} s."
    return table(["model", "n", "fit s", "compile s", "test RMSE"], rows) + goal


def calibration(d: dict) -> str:
    """``benchmarks/calibration.py``: per surrogate, its cells within the goal, mean NLL gaps and coverage range."""
    rows = [
        [name, f"{v['cells_meeting_goal']}/{v['cells']}", v["mean_nll_minus_know_nothing"], v["mean_nll_minus_gp"]]
        + [v["cover95_min"], v["cover95_max"], v["errors"]]
        for name, v in d["summary"].items()
    ]
    header = [
        "surrogate",
        "cells within goal",
        "mean NLL − know-nothing",
        "mean NLL − gp",
        "cover95 min",
        "max",
        "errors",
    ]
    goal = (
        "\n\nGoal per cell: NLL at most 0.1 above the know-nothing predictor's (below it where `gp` is below it) "
        "and 95% coverage in [0.85, 0.99]; on average NLL within 0.3 of `gp`'s. "
        "Reliability diagram: `results/calibration.png`."
    )
    return table(header, rows) + goal


def gold_standard(d: dict) -> str:
    """``benchmarks/gold_standard.py``: both NUTS samplers per inference-gym target."""
    cols = ["max_abs_z", "max_rel_sd_error", "divergences", "max_rhat", "min_ess_bulk", "ess_per_s", "first_call_s"]
    cfg = d["config"]
    rows = [
        [r["target"], r.get("seeds", cfg["seeds"]), s] + [r[s][c] for c in cols]
        for r in d["rows"]
        for s in ("modbayes", "numpyro")
    ]
    header = ["target", "seeds", "sampler", "max abs z", "max rel sd error", "divergences", "max R-hat"]
    header.append("min bulk ESS")
    note = (
        f"\n\n{cfg['num_chains']} chains, {cfg['num_warmup']} warmup + {cfg['num_samples']} draws; "
        "z against exact quadrature for EightSchools and the Brownian-motion target, "
        "else the gym's ground truth. ESS/s: sampling time with compilation subtracted."
    ) + (f" {cfg['note']}." if "note" in cfg else "")
    text = table(header + ["ESS/s", "first call s"], rows) + note
    smc = [
        f"{r['target']}: max |z| {fmt(c['max_abs_z'])}, log Ẑ {c['log_evidence_mean']:.3f} "
        f"± {c['log_evidence_sd']:.3f} (exact {c['log_evidence_exact']:.3f})"
        for r in d["rows"]
        if (c := r.get("smc"))
    ]
    return text + (
        "\n\nTempered SMC (defaults, 2000 particles; z from the seeds' spread): " + "; ".join(smc) if smc else ""
    )


def gpu(d: dict) -> str:
    from gpu import render  # beside the script that writes gpu.json

    return render(d)


def headline(stem: str, d: dict) -> str | None:
    """The one-line summary the top-level README quotes for a known results file."""
    if stem == "mcmc_vs_numpyro":
        return "; ".join(
            f"{p['problem']}: bulk-ESS/s {fmt(next(iter(p['ratios'].values())))}× NumPyro's (vectorized)"
            for p in d["results"]
            if p.get("ratios")
        )
    if stem == "smc_vs_blackjax":
        m, b = d["results"]["modbayes"], d["results"]["blackjax"]
        log_z = [f"{r['log_evidence_mean']:.2f} ± {r['log_evidence_sd']:.2f}" for r in (m, b)]
        ratio = fmt(d["wall_time_ratio_modbayes_over_blackjax"])
        return f"wall time {ratio}× BlackJAX's; log Z {log_z[0]} vs {log_z[1]}"
    if stem == "bo_vs_botorch":
        parts = []
        for problem, methods in d["problems"].items():
            if {"modbayes", "botorch"} <= set(methods):
                m, b = methods["modbayes"], methods["botorch"]
                parts.append(
                    f"{problem}: wall time {fmt(m['total_wall_seconds'] / b['total_wall_seconds'])}× BoTorch's, "
                    f"median regret {fmt(m['final_regret_median'])} vs {fmt(b['final_regret_median'])}"
                )
        return "; ".join(parts)
    if stem == "bo_vs_botorch_hartmann6_20_seeds":
        runs = d["problems"]["hartmann6"]
        m, b = runs["modbayes"], runs["botorch"]
        solved = [sum(r < 0.01 for r in x["final_regrets"]) for x in (m, b)]
        means = [sum(x["final_regrets"]) / len(x["final_regrets"]) for x in (m, b)]
        ratio = fmt(m["total_wall_seconds"] / b["total_wall_seconds"])
        return (
            f"hartmann6, {len(m['final_regrets'])} seeds: wall time {ratio}× BoTorch's; "
            f"runs within 0.01 of the optimum {solved[0]} vs {solved[1]}, mean regret "
            f"{fmt(means[0])} vs {fmt(means[1])}"
        )
    if stem == "compiled_bo":
        return (
            f"hartmann6, 5 seeds × 100 evaluations: {fmt(d['compiled_over_botorch'])}× BoTorch's total, "
            f"{fmt(d['compiled_over_python_loop'])}× the Python loop's"
        )
    if stem == "kernel_throughput":
        return (
            f"NNGP Gram n=4000, d=100: {fmt(d['steady_seconds_ratio_modbayes_over_botorch'])}× the time and "
            f"{fmt(d['peak_memory_ratio_modbayes_over_botorch'])}× the memory of BoTorch's InfiniteWidthBNNKernel"
        )
    if stem == "dkm_sparse_scale":
        return f"n=10,000 fit {fmt(d['sparse_dkm']['fit']['wall_seconds'])} s, test RMSE {fmt(d['sparse_dkm']['rmse'])}"
    if stem == "calibration":
        ranked = sorted(d["summary"].items(), key=lambda kv: -kv[1]["cells_meeting_goal"])
        cells = next(iter(d["summary"].values()))["cells"]
        return f"cells within the calibration goal (of {cells}): " + ", ".join(
            f"{name} {v['cells_meeting_goal']}" for name, v in ranked
        )
    if stem == "gold_standard":
        fair = [r for r in d["rows"] if r["numpyro"]["max_abs_z"] <= 4]
        worst = max(r["modbayes"]["max_abs_z"] for r in fair)
        ratios = [f"{r['target']} {fmt(r['ess_per_s_ratio'])}×" for r in d["rows"]]
        return f"max |z| {fmt(worst)} where NumPyro's is ≤ 4; ESS/s against NumPyro's: " + ", ".join(ratios)
    if stem == "bnn_surrogate_cost":
        rows = [r for r in d["rows"] if "bnn_hmc_fit_vs_numpyro" in r]
        ratios = [f"n={r['n']}: {fmt(r['bnn_hmc_fit_vs_numpyro'])}×" for r in rows]
        return "bnn_hmc fit against NumPyro HMC on the same BNN: " + ", ".join(ratios)
    return None


def update_readme_block(readme: pathlib.Path, lines: list[str]) -> None:
    """Replace the text between the README's ``benchmarks:start`` and ``benchmarks:end`` markers."""
    start, end = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
    text = readme.read_text()
    if start not in text or end not in text:
        return
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(head + start + "\n" + "\n".join(lines) + "\n" + end + tail)


RENDERERS: dict[str, tuple[str, Callable[[dict], str]]] = {
    "mcmc_vs_numpyro": ("MCMC: modbayes NUTS against NumPyro", mcmc_vs_numpyro),
    "smc_vs_blackjax": ("SMC: modbayes tempered SMC against BlackJAX", smc_vs_blackjax),
    "bo_vs_botorch": ("BO loop: modbayes GP + LogEI against BoTorch", lambda d: by_problem_and_method(d, "botorch")),
    "bo_vs_botorch_hartmann6_20_seeds": (
        "BO loop against BoTorch: hartmann6 over 20 seeds",
        lambda d: by_problem_and_method(d, "botorch"),
    ),
    "compiled_bo": ("Compiled BO against the Python loop and BoTorch", compiled_bo),
    "gp_warm_start": ("GP hyperparameters warm-started from the previous step, or not", by_problem_and_method),
    "kernel_throughput": ("NNGP kernel throughput against BoTorch", kernel_throughput),
    "dkm_sparse_scale": ("Sparse deep kernel machine at n = 10,000", dkm_sparse_scale),
    "kernel_surrogates_bo": ("BO with each kernel surrogate", by_problem_and_method),
    "calibration": ("Calibration of every surrogate on held-out data", calibration),
    "gold_standard": ("NUTS against inference-gym's gold standards, beside NumPyro", gold_standard),
    "gpu": ("On a GPU: compiled BO, NUTS, SMC and the NNGP Gram", gpu),
    "bnn_surrogate_cost": ("BNN surrogates: cost per BO iteration", bnn_surrogate_cost),
    "bnn_bo_regret": ("BO regret with the BNN surrogates", by_problem_and_method),
    "study_bnn_bo_synthetic_cpu": ("Study: the paper's synthetic problems, CPU budgets", lambda d: study_table(d)),
    "study_bnn_bo_synthetic": ("Study: Li, Rudner & Wilson's synthetic problems", lambda d: study_table(d)),
}


def study_table(d: dict) -> str:
    """A ``modbayes study`` run (``study_results.py``): its budgets, the summary table and the plots."""
    from surrogates.bo.study import summary_table

    cells = ", ".join(
        f"{p}: {c['n_init']} + {(c['budget'] - c['n_init']) // c['batch_size']}×{c['batch_size']}"
        for p, c in d["study"]["cells"].items()
    )
    lines = [
        f"Study file `{d['file']}`: seeds {d['study']['seeds']}; budgets (initial + batches × size): {cells}.",
        "Metric: final simple regret, hypervolume gap (multi-objective) or best value (unknown optimum); "
        "lower is better. `loop`: compiled (`minimize_compiled`) or Python (`minimize`).",
        "",
        summary_table(d["rows"]),
    ]
    if d.get("errors"):
        failed = [f"{e['problem']}/{e['surrogate']}: {e['error']}" for e in d["errors"]]
        lines.append("Cells that failed: " + "; ".join(failed))
    lines += [f"![{p}](results/study_{d['study']['name']}/{p})" for p in d.get("plots", [])]
    return "\n".join(lines)


def generic(d: dict) -> str:
    """Any results file: its top-level scalars and the scalars one level down, as a table."""
    rows = []
    for key, value in d.items():
        if isinstance(value, dict):
            rows += [[f"{key}.{k}", v] for k, v in value.items() if not isinstance(v, dict | list)]
        elif not isinstance(value, list):
            rows.append([key, value])
    return table(["entry", "value"], rows)


def main(results: pathlib.Path = RESULTS, out: pathlib.Path = HERE / "README.md") -> list[str]:
    """Write the report on every ``results/*.json`` to ``out``; returns the README's headline lines."""
    headlines = ["| benchmark | headline |", "|---|---|"]
    sections = [
        "# Benchmark report",
        "",
        "Generated by `python benchmarks/report.py` from `benchmarks/results/*.json`; do not edit by hand.",
        "Each benchmark runs modbayes and its peer in one process on the same problems and seeds.",
    ]
    order = {stem: i for i, stem in enumerate(RENDERERS)}  # the layers' order, unknown files last
    for path in sorted(results.glob("*.json"), key=lambda p: (order.get(p.stem, len(order)), p.stem)):
        data = json.loads(path.read_text())
        title, render = RENDERERS.get(path.stem, (path.stem, generic))
        try:
            body = render(data)
        except (KeyError, TypeError, ZeroDivisionError) as err:  # a results file from an older script version
            body = f"(renderer failed on this file: {err!r}; its entries follow)\n\n" + generic(data)
        sections += ["", f"## {title}", "", f"From `results/{path.name}`. {machine_line(data)}", "", body]
        try:
            line = headline(path.stem, data)
        except (KeyError, TypeError, ZeroDivisionError, StopIteration):
            line = None
        if line:
            headlines.append(f"| [{title}](benchmarks/README.md) | {line} |")
        plot = path.with_suffix(".png")
        if plot.exists():
            sections += ["", f"![{title}](results/{plot.name})"]
    out.write_text("\n".join(sections) + "\n")
    print("wrote", out)
    return headlines


if __name__ == "__main__":
    update_readme_block(HERE.parent / "README.md", main())
