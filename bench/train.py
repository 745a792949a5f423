"""Benchmark: one full SSVAE training on the seed paper's split (CPU).

Prints the machine, the wall time of one training on labelled + unlabelled
(+ validation for model selection) rows of ../shared/data/paper_split.csv, and
validation and test accuracy / ROC AUC; also the time of one SHAP explanation.
Not a test: run ``python bench/train.py [--threads N] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from hea_campaign.model.evaluation import split_from_labels
from hea_campaign.model.explain import explain_one
from hea_campaign.model.ssvae import SSVAEConfig
from hea_campaign.model.training import binary_metrics, train

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_paper_split():
    df = pd.read_csv(DATA / "HEA_top30_comps.csv", comment="#")
    sp = pd.read_csv(DATA / "paper_split.csv")
    first = df.drop_duplicates("Alloys", keep="first").set_index("Alloys").loc[sp["Alloys"]]
    return first.iloc[:, 1:].to_numpy(np.float64), first["Class"].to_numpy(np.float64), sp["split"].to_numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=SSVAEConfig().num_threads)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    X, y, s = load_paper_split()
    sp = split_from_labels(s)
    cfg = SSVAEConfig(seed=args.seed, num_threads=args.threads)
    print(f"machine: {cpu_model()}; {os.cpu_count()} logical CPUs visible; "
          f"torch {torch.__version__} with {args.threads} threads; python {platform.python_version()}")
    print(f"rows: labelled {len(sp.labelled)}, unlabelled {len(sp.unlabelled)}, "
          f"validation {len(sp.validation)}, test {len(sp.test)}")
    t0 = time.perf_counter()
    res = train(X[sp.labelled], y[sp.labelled], X[sp.unlabelled], X[sp.validation], y[sp.validation], cfg)
    wall = time.perf_counter() - t0
    print(f"training: {wall:.1f} s wall, {int(res.metrics['epochs_run'])} epochs "
          f"(best {res.best_epoch}, early stop {res.stopped_early})")
    for part, idx in (("validation", sp.validation), ("test", sp.test)):
        m = binary_metrics(y[idx], res.model.predict_proba(X[idx]))
        print(f"{part:>10}: accuracy {m['accuracy']:.3f}  ROC AUC {m['roc_auc']:.3f}  (n={m['n']})")
    explain_one(res.model, X[sp.test[0]])
    t0 = time.perf_counter()
    explain_one(res.model, X[sp.test[1]])
    print(f"SHAP explanation of one alloy: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
