"""Regenerate critlcn/data/default.npz, the dataset critlcn solves without --data.

Deterministic: 50 samples of Gaussian inputs of size d_0 = 10 and outputs of
size 6 produced by a Gaussian teacher end-to-end filter of
size 5 (degree 4, e.g. k = (3, 2, 2) or (4, 2)) plus Gaussian noise of
standard deviation 0.1, all from
numpy.random.default_rng(20220101).

Run: python scripts/make_default_data.py
"""

import os

import numpy as np

from critlcn.architecture import Architecture
from critlcn.data import save, synth

SEED = 20220101


def main() -> None:
    ds = synth(Architecture((3, 2, 2)), 50, np.random.default_rng(SEED), d0=10, noise=0.1)
    out = os.path.join(os.path.dirname(__file__), "..", "critlcn", "data", "default.npz")
    save(ds, os.path.abspath(out))
    print(f"wrote {os.path.abspath(out)} sha256={ds.sha256}")


if __name__ == "__main__":
    main()
