"""Small data sets shipped with ``inference`` (package data, read with ``importlib.resources``)."""

from importlib.resources import files

import numpy as np


def galaxies() -> np.ndarray:
    """Velocities (km/s) of 82 galaxies in the Corona Borealis region, ``[82]``.

    Roeder (1990), "Density estimation with confidence sets exemplified by superclusters
    and voids in the galaxies", JASA 85:617; the copy in R's ``MASS::galaxies`` (same order,
    including its 26960, a typo for 26690 in the source, Postman, Huchra & Geller 1986).
    The benchmark of Richardson & Green (1997) for mixtures with an unknown number of
    components, usually analysed in units of 1000 km/s.
    """
    text = files(__package__).joinpath("galaxies.csv").read_text()
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    return np.array([float(v) for v in rows[1:]])  # rows[0] is the header
