"""``benchmarks/report.py`` builds the report from the results files, known and unknown."""

import importlib.util
import json
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("report", ROOT / "benchmarks" / "report.py")
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)


def test_every_results_file_gets_a_section_with_its_numbers(tmp_path):
    results = tmp_path / "results"
    shutil.copytree(ROOT / "benchmarks" / "results", results)
    (results / "new_benchmark.json").write_text(json.dumps({"speedup": 2.5, "config": {"n": 7}}))
    out = tmp_path / "README.md"
    report.main(results, out)
    text = out.read_text()
    for path in results.glob("*.json"):
        title = report.RENDERERS.get(path.stem, (path.stem,))[0]
        assert f"## {title}" in text and f"results/{path.name}" in text
        assert "renderer failed" not in text.split(f"## {title}")[1].split("\n## ")[0], path.name
    # An unknown file is listed generically, its numbers read from the file.
    assert "| speedup | 2.5 |" in text and "| config.n | 7 |" in text
    bo = json.loads((results / "bo_vs_botorch.json").read_text())["problems"]["hartmann6"]["botorch"]
    assert report.fmt(bo["final_regret_median"]) in text
