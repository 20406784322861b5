"""The one place modbayes imports ArviZ (``from inference._arviz import az``).

ArviZ 0.22+ prints a ``FutureWarning`` about its 1.x refactor on the first import of each day
(a stamp file in the user's cache), so a fresh machine or CI saw it on every ``modbayes run``
(#16). It is about ArviZ's own future API, not something a modbayes user can act on, so the
import here ignores exactly that warning (category ``FutureWarning``, module ``arviz``,
message "ArviZ is undergoing") and nothing else, and only when the user set no warning
options of their own: under ``python -W ...`` or ``PYTHONWARNINGS`` their settings apply.
The filter lives inside ``catch_warnings``, so the process's filters are left as they were.

This is also where a switch between ArviZ 0.x (``InferenceData``) and 1.x (``DataTree``) will
live; the package index reachable here has no ArviZ 1.x yet (0.23.4 is the newest), so the
1.x path is not written.
"""

import sys
import warnings

if sys.warnoptions:
    import arviz as az
else:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing", category=FutureWarning, module="arviz")
        import arviz as az

__all__ = ["az"]
