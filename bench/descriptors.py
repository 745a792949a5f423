"""Descriptor throughput: f(x) for 1e6 random 5-element compositions.

Prints alloys per second (target: at least 1e6/s on 2 cores) and the machine.
Run: python bench/descriptors.py [--n 1000000] [--chunk 200000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe  # noqa: E402

from hea_campaign.model.descriptors import featurize  # noqa: E402
from hea_campaign.model.vocabulary import DEFAULT_VOCABULARY  # noqa: E402


def random_compositions(n: int, k: int, rng: np.random.Generator, dtype) -> np.ndarray:
    v = len(DEFAULT_VOCABULARY)
    x = np.zeros((n, v), dtype=dtype)
    cols = np.argsort(rng.random((n, v)), axis=1)[:, :k]
    x[np.arange(n)[:, None], cols] = rng.dirichlet(np.ones(k), size=n).astype(dtype)
    return x


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=200_000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    featurize(random_compositions(10, 5, rng, np.float64))  # build the element table once
    print(f"machine: {describe()}")
    for dtype in (np.float64, np.float32):
        x = random_compositions(args.n, 5, rng, dtype)
        t0 = time.perf_counter()
        for i in range(0, args.n, args.chunk):
            out = featurize(x[i : i + args.chunk])
        dt = time.perf_counter() - t0
        assert np.all(np.isfinite(out))
        print(
            f"descriptors, {np.dtype(dtype).name}: {args.n:,} five-element compositions in {dt:.2f} s "
            f"-> {args.n / dt:,.0f} alloys/s (target >= 1,000,000/s)"
        )


if __name__ == "__main__":
    main()
