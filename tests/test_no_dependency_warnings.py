"""Importing modbayes prints no dependency's warning, yet a user's own ``-W`` settings still apply (#16).

ArviZ 0.22+ warns about its refactor on the first import of each day (a stamp file under the
user's cache directory); a fresh ``XDG_CACHE_HOME`` makes every subprocess here that first import.
"""

import os
import subprocess
import sys

import pytest

from inference._arviz import ARVIZ_1

IMPORT = "import inference, surrogates, bayesnn, surrogates.bo"


def run(tmp_path, *flags):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("PYTHONWARNINGS", None)
    done = subprocess.run([sys.executable, *flags, "-c", IMPORT], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_import_is_quiet(tmp_path):
    assert "Warning" not in run(tmp_path)


@pytest.mark.skipif(ARVIZ_1, reason="ArviZ 1.x has no refactor warning: nothing is filtered")
def test_a_users_warning_options_still_apply(tmp_path):
    assert "ArviZ is undergoing" in run(tmp_path, "-W", "default")
