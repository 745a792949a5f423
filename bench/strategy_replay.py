"""A fast replay of the scorer-only strategies of `hea-campaign simulate`, for many repeats.

`simulate` replays the whole lab loop through the store and trains an SSVAE
every round, which costs minutes per repeat.  The scorer's strategy (greedy
on the random forest over rich descriptors + fractions plus the physics
rule's fading prior, near-copies within 2 at.% skipped) and the reference
strategies (forest on the 8 descriptors, greedy; the physics rule) need no SSVAE, so this script replays them on the
same splits, initial alloys and pickable alloys as `simulate` (its ``_split``
with the seed of repeat k = seed + 1009 k) in a fraction of the time, to
measure wins over the forest on more repeats.  It prints what it measured and
the machine load.  Not a test.

    python bench/strategy_replay.py --repeats 10
    python bench/strategy_replay.py --repeats 10 --seed 5000 --priors 0,10,25   # how the prior was chosen
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HEA_CAMPAIGN_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data"))

from hea_campaign.campaign.acquisition import pick_batch, select_distinct  # noqa: E402
from hea_campaign.campaign.simulation import SimulationSettings, _split, load_pool  # noqa: E402
from hea_campaign.model.descriptors import featurize  # noqa: E402
from hea_campaign.model.physics_rule import PRIOR_LABELS, physics_prior, rule_scores  # noqa: E402
from hea_campaign.model.scoring import N_TREES, scorer_features  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0,
                    help="repeat k uses seed + 1009 k (simulate's seeds for 0; other values for validation)")
    ap.add_argument("--priors", default="",
                    help="comma-separated prior weights to replay beside the default (in place of PRIOR_LABELS; "
                         "0 = p alone), e.g. 0,10,25")
    args = ap.parse_args()
    from scipy.stats import wilcoxon
    from hea_campaign.model.forests import random_forest

    pool = load_pool("yan2021")
    s = SimulationSettings()
    D8, DS = featurize(pool.X), scorer_features(pool.X)
    targets = pool.targets(s.target)

    def forest(D, seed):
        return random_forest(n_estimators=N_TREES, random_state=seed, n_jobs=1)

    def scores(name, lab, avail, seed):
        if name == "rule":
            return rule_scores(pool.X[avail])
        D = D8 if name == "forest" else DS
        return forest(D, seed).fit(D[lab], pool.y[lab].astype(int)).predict_proba(D[avail])[:, 1]

    weights = [float(w) for w in args.priors.split(",") if w.strip()]
    names = ("random", "greedy (scorer)", "forest", "rule", *(f"greedy, prior {w:g}" for w in weights))
    found = {n: [] for n in names}
    t0 = time.perf_counter()
    for rep in range(args.repeats):
        seed = args.seed + 1009 * rep
        test, initial, _ = _split(pool, s, np.random.default_rng(seed))
        candidates = np.setdiff1d(np.arange(len(pool)), np.concatenate([test, initial]))
        for name in names:
            lab, curve, rng = list(initial), [0], np.random.default_rng([seed, 7])
            for r in range(s.rounds):
                avail = np.setdiff1d(candidates, lab)
                avail = avail[pool.n_elements[avail] >= s.target.min_elements]
                if name == "random":
                    pick = rng.choice(avail, s.batch, replace=False)
                else:
                    sc = scores(name, np.array(lab), avail, seed + r)
                    if name == "greedy (scorer)":  # as simulate and propose pick: with the physics prior
                        pick = avail[pick_batch("greedy", sc, np.zeros(len(sc)), pool.X[avail], None, s.batch,
                                                n_labels=len(lab))]
                    elif name.startswith("greedy, prior"):  # the same with another weight
                        w = float(name.rsplit(" ", 1)[1])
                        prior = w / PRIOR_LABELS * physics_prior(pool.X[avail], len(lab))
                        pick = avail[select_distinct(sc + prior, pool.X[avail], s.batch)]
                    else:
                        pick = avail[np.argsort(-sc, kind="stable")[: s.batch]]
                lab.extend(int(i) for i in pick)
                curve.append(curve[-1] + int(targets[pick].sum()))
            found[name].append(curve)
    wall = time.perf_counter() - t0
    R = np.array(found["random"], dtype=float)
    F = np.array(found["forest"], dtype=float)
    print(f"{args.repeats} repeats, {s.initial} initial alloys, {s.rounds} rounds of {s.batch}; target: {s.target.text}")
    for n in names:
        A = np.array(found[n], dtype=float)
        line = f"{n:16s}"
        for exp in (40, 160):
            j = exp // s.batch
            ef = np.median(A[:, j] / R[:, j])
            line += f"  at {exp}: found {np.median(A[:, j]):5.1f}, EF {ef:.2f}"
            if n != "forest" and n != "random":
                d = A[:, j] - F[:, j]
                p = wilcoxon(d, zero_method="zsplit").pvalue if np.any(d != 0) else float("nan")
                line += f" (vs forest {int((d > 0).sum())}/{int((d == 0).sum())}/{int((d < 0).sum())}, p={p:.3f})"
        print(line)
    print(f"wall {wall:.0f} s; load average {' '.join(open('/proc/loadavg').read().split()[:3])}; "
          f"{os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
