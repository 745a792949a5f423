"""Child process for test_concurrency.py: one lab member hammering a shared store.

Run as ``python concurrency_worker.py PLAN.json INDEX LOG.jsonl``.  The plan
(written by the test) names the store URL, the duration, the formulas
everyone fights over and the candidate/measurement pools.  The worker opens
the store, prints ``ready`` and waits for ``go`` on stdin, does each kind of
operation once (so the test never depends on the machine's speed), then
until the time is up picks random operations:

* a result for a formula of its own making (new, or by chance someone else's),
* a result for one of the shared "hot" formulas (all workers at once),
* a correction of a shared measurement (only one correction each can win),
* approve-only on the shared "approve" pool (only one approval each can win),
* approve or reject on the shared "flip" pool (a person changing their mind),
* a result for an exported candidate (the first one moves it to measured).

After every call that returned it appends one JSON line to its log saying
what the store told it (ids, whether the alloy was new, whether the candidate
moved); a refusal (CampaignError) is logged as such; anything else is logged
as an error with its traceback, which fails the test.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import traceback

from hea_campaign.campaign.errors import CampaignError
from hea_campaign.campaign.lifecycle import approve, reject
from hea_campaign.campaign.results import correct_result, record_result
from hea_campaign.campaign.store import CampaignStore

ELEMENTS = ["Fe", "Ni", "Cr", "Co", "Al", "Ti", "Cu", "Mo", "V", "Nb", "Mn", "Zr", "Ta", "W", "Hf"]


def main() -> None:
    plan = json.loads(open(sys.argv[1]).read())
    index = int(sys.argv[2])
    log = open(sys.argv[3], "w", buffering=1)
    rng = random.Random(plan["seed"] * 100 + index)
    actor = f"worker{index}"
    store = CampaignStore.open(plan["url"], actor=actor, create=False)

    def note(**entry) -> None:
        log.write(json.dumps(entry) + "\n")

    def add(formula=None, candidate_id=None) -> None:
        r = record_result(store, formula, candidate_id, single_phase=rng.random() < 0.5, by=actor,
                          method="XRD", notes=f"{actor} {formula or candidate_id}")  # fmt: skip
        note(op="add", measurement_id=r.measurement.id, alloy_id=r.alloy.id, formula=r.alloy.formula,
             new_alloy=r.new_alloy, candidate_id=candidate_id, candidate_moved=r.candidate_moved)  # fmt: skip

    def own_formula() -> str:
        els = rng.sample(ELEMENTS, rng.randint(2, 4))
        return "".join(f"{e}{rng.randint(1, 6)}" for e in els)  # small numbers: workers collide now and then

    def correct() -> None:
        target = rng.choice(plan["correct_pool"])
        m = correct_result(store, target, single_phase=rng.random() < 0.5, by=actor)
        note(op="correct", target=target, measurement_id=m.id)

    def decide(verb, pool: str) -> None:
        for c in verb(store, [rng.choice(plan[pool])], by=actor):
            note(op=verb.__name__, candidate_id=c.id, pool=pool)

    operations = [
        (0.30, lambda: add(own_formula())),
        (0.25, lambda: add(rng.choice(plan["hot_formulas"]))),
        (0.10, correct),
        (0.12, lambda: decide(approve, "approve_pool")),
        (0.15, lambda: decide(rng.choice((approve, reject)), "flip_pool")),
        (0.08, lambda: add(candidate_id=rng.choice(plan["exported_pool"]))),
    ]
    weights = [w for w, _ in operations]

    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    # First every kind of operation once, whatever the machine's speed (the test then has something of each
    # to check: the first approval, rejection and correction of a candidate or measurement always wins), and
    # the same new formula by everyone; then random operations until the time is up.
    first = [lambda: add(own_formula()), lambda: add(plan["hot_formulas"][-1]), correct,
             lambda: decide(approve, "approve_pool"), lambda: decide(approve, "flip_pool"),
             lambda: decide(reject, "flip_pool"), lambda: add(candidate_id=rng.choice(plan["exported_pool"]))]
    deadline = time.monotonic() + float(plan["seconds"])
    while first or time.monotonic() < deadline:
        op = first.pop(0) if first else rng.choices(operations, weights)[0][1]
        try:
            op()
        except CampaignError as exc:
            note(op="refused", error=str(exc)[:300])
        except Exception as exc:  # noqa: BLE001 - reported to the test
            note(op="error", error=f"{exc.__class__.__name__}: {exc}"[:2000], traceback=traceback.format_exc()[-4000:])
    store.close()
    log.close()
    os._exit(0)


if __name__ == "__main__":
    main()
