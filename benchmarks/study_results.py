"""Run (or finish) a ``modbayes study`` file and file its table under ``benchmarks/results``.

    python benchmarks/study_results.py benchmarks/studies/bnn_bo_synthetic_cpu.toml [--out runs/study-cpu]

The study runs through ``surrogates.bo.study.run_study`` (resumable: a second call only
summarises), then ``results/study_NAME.json`` gets the summary rows, the study's
configuration and the machine, and ``results/study_NAME/PROBLEM.png`` the regret plots, for
``report.py``. Timings in the rows are seconds per run; a compiled cell's seeds share one
call, so its compilation is spread over them, while in the Python loop the first seed of a
cell pays the compilation and the median hides it.
"""

import argparse
import json
import pathlib
import shutil

from machine import machine_info

from surrogates.bo.study import load_study, run_study

RESULTS = pathlib.Path(__file__).parent / "results"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", help="a study TOML file")
    parser.add_argument("--out", help="the study's run folder (default runs/study-NAME)")
    args = parser.parse_args()
    study = load_study(args.file)
    out = pathlib.Path(args.out or f"runs/study-{study['name']}")
    start = machine_info()
    rows = run_study(study, out)
    name = f"study_{study['name']}"
    plots = RESULTS / name
    plots.mkdir(parents=True, exist_ok=True)
    for problem in study["cells"]:
        if (out / f"{problem}.png").exists():
            shutil.copy(out / f"{problem}.png", plots / f"{problem}.png")
    errors = json.loads((out / "errors.json").read_text()) if (out / "errors.json").exists() else []
    record = {
        "study": study,
        "file": str(args.file),
        "rows": rows,
        "errors": errors,
        "plots": sorted(p.name for p in plots.glob("*.png")),
        "machine": machine_info(start),
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=1))
    print(f"wrote {RESULTS / name}.json and {len(record['plots'])} plots in {plots}")


if __name__ == "__main__":
    main()
