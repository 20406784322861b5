"""The ``modbayes`` CLI in subprocesses: a run killed with SIGKILL resumes without losing trials."""

import json
import os
import signal
import subprocess
import sys

import pytest

RUN = [sys.executable, "-m", "surrogates.bo", "run", "--problem", "branin", "--seed", "1", "--no-progress"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Share one persistent XLA cache between the subprocesses (CI sets its own)."""
    env = dict(os.environ)
    env.setdefault("JAX_COMPILATION_CACHE_DIR", str(tmp_path_factory.mktemp("xla")))
    return env


def trials(path):
    """(trial, x, y, error) of each line: everything but the wall-clock seconds."""
    rows = [json.loads(line) for line in (path / "trials.jsonl").read_text().splitlines()]
    return [(r["trial"], r["x"], r["y"], r["error"]) for r in rows]


def test_sigkill_and_resume_gives_the_uninterrupted_trials(tmp_path, env):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    subprocess.run(RUN + ["--budget", "12", "--out", str(straight), "--no-plot"], env=env, check=True)

    # The killed run SIGKILLs itself inside the 8th objective call: a deterministic kill point,
    # however fast the (cached) run is. Trials 0-6 are on disk; trial 7 was never recorded.
    killer = (
        "import os, signal, sys\n"
        "from surrogates.bo import cli\n"
        "from surrogates.bo.problems import synthetic\n"
        "branin, calls = synthetic.branin, []\n"
        "def dying(x):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 8:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return branin(x)\n"
        "synthetic.branin = dying\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    args = RUN[3:] + ["--budget", "12", "--out", str(killed), "--no-plot"]
    proc = subprocess.run([sys.executable, "-c", killer, *args], env=env)
    assert proc.returncode == -signal.SIGKILL
    assert len(trials(killed)) == 7

    subprocess.run(
        RUN[:3] + ["run", "--resume", str(killed), "--budget", "12", "--no-plot", "--no-progress"], env=env, check=True
    )
    assert trials(killed) == trials(straight)


def test_plot_and_bad_arguments(tmp_path, env):
    out = tmp_path / "run"
    no_model = ["--budget", "6", "--n-init", "6"]  # the plot needs trials, not a fitted model
    subprocess.run(RUN + no_model + ["--out", str(out)], env=env, check=True, capture_output=True)
    assert (out / "regret.png").stat().st_size > 1000  # `run` writes its own plot
    r = subprocess.run(
        [sys.executable, "-m", "surrogates.bo", "plot", str(out), "-o", str(tmp_path / "p.png")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and (tmp_path / "p.png").stat().st_size > 1000
    r = subprocess.run(
        RUN[:4] + ["--problem", "nope", "--out", str(tmp_path / "x")], env=env, capture_output=True, text=True
    )
    assert r.returncode == 2 and "branin" in r.stderr


def test_compare_writes_a_table_and_a_plot(tmp_path, env):
    out = tmp_path / "cmp"
    cmd = [
        sys.executable,
        "-m",
        "surrogates.bo",
        "compare",
        "--problem",
        "branin",
        "--acquisitions",
        "logei,ucb",
        "--seeds",
        "0-1",
        "--budget",
        "5",
        "--out",
        str(out),
        "--no-progress",
    ]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = json.loads((out / "compare.json").read_text())
    assert [(row["acquisition"], row["runs"]) for row in rows] == [("logei", 2), ("ucb", 2)]
    assert all(row["q1"] <= row["median"] <= row["q3"] for row in rows)
    assert "gp/ucb" in r.stdout and (out / "compare.png").stat().st_size > 1000


OBJECTIVE = """
import numpy as np

def rosen(x):
    x = np.asarray(x)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))

NOT_CALLABLE = 3
"""


def test_own_objective_runs_and_resumes_without_its_flags(tmp_path, env):
    """``--objective FILE.py:NAME --bounds=...`` then ``--resume DIR`` from another directory:
    the resumed run finds the file from ``state.json`` and the trials go on to the new budget."""
    (tmp_path / "obj.py").write_text(OBJECTIVE)
    base = [sys.executable, "-m", "surrogates.bo", "run", "--no-progress", "--no-plot"]
    own = ["--objective", "obj.py:rosen", "--bounds=-2:2,-2:2", "--out", "DIR"]
    # A fresh cache: ArviZ's once-a-day FutureWarning would fire here; no dependency's warning may show.
    fresh = env | {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = subprocess.run(base + own + ["--budget", "5"], env=fresh, check=True, cwd=tmp_path, capture_output=True)
    assert b"Warning" not in first.stderr, first.stderr.decode()
    subprocess.run(base + ["--resume", str(tmp_path / "DIR"), "--budget", "7"], env=env, check=True, cwd="/")
    rows = trials(tmp_path / "DIR")
    assert [r[0] for r in rows] == list(range(7)) and all(r[3] is None for r in rows)
    for _, x, y, _ in rows:  # the user's own function, evaluated inside the box
        assert all(-2 <= v <= 2 for v in x)
        assert y == pytest.approx(100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2)
    config = json.loads((tmp_path / "DIR" / "state.json").read_text())["config"]
    assert config["objective"] == f"{tmp_path / 'obj.py'}:rosen" and config["bounds"] == [[-2, 2], [-2, 2]]


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--objective", "nofile.py:rosen", "--bounds=0:1"], "no file"),
        (["--objective", "obj.py:missing", "--bounds=0:1"], "has no 'missing'"),
        (["--objective", "obj.py:NOT_CALLABLE", "--bounds=0:1"], "is a int, not a callable"),
        (["--objective", "nosuchmodule.sub:f", "--bounds=0:1"], "cannot import 'nosuchmodule.sub'"),
        (["--objective", "obj.py", "--bounds=0:1"], "must be FILE.py:NAME"),
        (["--objective", "obj.py:rosen", "--bounds=0:1,2"], "dimension 1 is '2'"),
        (["--objective", "obj.py:rosen", "--bounds=1:0"], "needs finite LOW < HIGH"),
        (["--objective", "obj.py:rosen"], "needs --bounds"),
    ],
)
def test_own_objective_errors_before_anything_runs(tmp_path, monkeypatch, capsys, flags, message):
    """In-process (no subprocess): each bad spec exits 2 with the message and writes no run."""
    from surrogates.bo import cli

    (tmp_path / "obj.py").write_text(OBJECTIVE)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", *flags, "--out", "RUN", "--no-progress"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "RUN").exists()
