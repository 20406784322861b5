"""The README tour's code blocks run, in order, as one script (they build on each other).

Compiling them is cheap and runs in CI; executing them takes a few minutes of sampling
(NUTS, SMC, a BNN fit, a BO run), so it is marked slow: ``python -m pytest -m slow tests/test_readme.py``.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_blocks_that_compile():
    blocks = python_blocks()
    assert len(blocks) >= 5  # one per layer at least
    for i, block in enumerate(blocks):
        compile(block, f"README block {i}", "exec")


@pytest.mark.slow
def test_readme_blocks_run(tmp_path):
    script = tmp_path / "readme.py"
    script.write_text("\n\n".join(python_blocks()))
    env = dict(os.environ, MODBAYES_QUICK="1", MPLBACKEND="Agg")
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
