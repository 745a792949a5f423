"""Child process for test_crash.py: writes lab results until it is killed.

Run as ``python crash_writer.py STORE``.  It imports everything once, says
``ready``, then for every ``go SEED`` line on stdin forks a worker that opens
the store and adds (and sometimes corrects) results in a loop, writing
``id N`` to stdout right after each commit returns.  The parent test kills the
worker with SIGKILL at a random moment; this process reaps it and reports
``dead PID STATUS``.  Forking from a warm process keeps each round cheap (a
fresh interpreter needs about a second to import the stack), so the test can
kill a writer many times in a few seconds.  Output goes through os.write on
fd 1: one unbuffered write per line, nothing half-written.
"""

import os
import random
import sys

from hea_campaign.campaign.results import add_result, correct_result
from hea_campaign.campaign.store import CampaignStore

ELEMENTS = ["Fe", "Ni", "Cr", "Co", "Al", "Ti", "Cu", "Mo", "V", "Nb", "Mn", "Zr", "Ta", "W", "Hf"]


def say(text: str) -> None:
    os.write(1, (text + "\n").encode())


def work(db: str, seed: int) -> None:
    rng = random.Random(seed)
    store = CampaignStore.open(db, actor="crash")
    last = None
    while True:
        if last is not None and rng.random() < 0.2:
            m = correct_result(store, last, single_phase=rng.random() < 0.5, by="crash",
                               notes=f"correction {rng.random()}")  # never the same as the result it corrects
        else:
            els = rng.sample(ELEMENTS, rng.randint(2, 5))
            formula = "".join(f"{e}{rng.randint(1, 30)}" for e in els)
            m = add_result(store, formula, single_phase=rng.random() < 0.5, by="crash", notes="n" * rng.randint(0, 800))
        last = m.id
        say(f"id {m.id}")


def warm_up() -> None:
    """Import and set up what a worker needs (pymatgen, ORM mappers), so each fork starts writing at once.

    The warm-up store is in memory and closed before any fork: no connection crosses a fork.
    """
    scratch = CampaignStore.open(":memory:", actor="warm-up")
    m = add_result(scratch, "FeNi", single_phase=True)
    correct_result(scratch, m.id, single_phase=False)
    scratch.close()


def main() -> None:
    db = sys.argv[1]
    warm_up()
    say("ready")
    for line in sys.stdin:
        seed = int(line.split()[1])
        pid = os.fork()
        if pid == 0:
            try:
                work(db, seed)
            finally:
                os._exit(1)  # only reached on an error: the parent sees a non-SIGKILL status
        say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        say(f"dead {pid} {status}")


if __name__ == "__main__":
    main()
