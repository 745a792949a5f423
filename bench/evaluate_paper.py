"""Paper protocol over split seeds: SSVAE vs gradient boosting (and optionally
the data-efficiency table). Not a test.

    python bench/evaluate_paper.py [--seeds 5] [--grouped] [--data-efficiency]

Uses the 1373 alloys of the top-30 set (duplicate formula strings dropped,
first occurrence kept, as in the paper's split). Model selection is on each
seed's validation rows only; test rows are only scored.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hea_campaign.model.evaluation import (
    data_efficiency,
    evaluate_protocol,
    format_data_efficiency,
    format_protocol,
)
from hea_campaign.model.ssvae import SSVAEConfig

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--grouped", action="store_true")
    ap.add_argument("--data-efficiency", action="store_true")
    args = ap.parse_args()
    df = pd.read_csv(DATA / "HEA_top30_comps.csv", comment="#").drop_duplicates("Alloys", keep="first")
    X = df.iloc[:, 2:].to_numpy(np.float64)
    y = df["Class"].to_numpy(np.int64)
    cfg = SSVAEConfig()
    t0 = time.perf_counter()
    res = evaluate_protocol(X, y, seeds=range(args.seeds), config=cfg, grouped=args.grouped, progress=print)
    print(format_protocol(res))
    print(f"({time.perf_counter() - t0:.0f} s)")
    if args.data_efficiency:
        t0 = time.perf_counter()
        rows = data_efficiency(X, y, seeds=range(args.seeds), config=cfg)
        print("data efficiency (test, mean +/- sd over seeds)")
        print(format_data_efficiency(rows))
        print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
