"""Child process for test_export_crash.py: exports a batch and is killed at a named step.

Run as ``python export_crash_writer.py STORE_URL FOLDER``.  It imports
everything once, says ``ready``, then for every ``go STEP NAME FORMAT`` line
forks a worker that exports the campaign's approved candidates to
FOLDER/NAME with ``export.STEP_HOOK`` set to SIGKILL the worker when the
export reaches STEP ("none": never).  This process reaps the worker and
reports ``dead PID STATUS``.  Output goes through os.write on fd 1, one
unbuffered write per line.
"""

import os
import signal
import sys
import traceback

from hea_campaign.campaign import export
from hea_campaign.campaign.export import export_batch
from hea_campaign.campaign.store import CampaignStore


def say(text: str) -> None:
    os.write(1, (text + "\n").encode())


def work(url: str, folder: str, step: str, name: str, fmt: str) -> None:
    def hook(reached: str) -> None:
        if reached == step:
            os.kill(os.getpid(), signal.SIGKILL)

    export.STEP_HOOK = hook
    store = CampaignStore.open(url, actor="crash")
    export_batch(store, mass=20, out=os.path.join(folder, name), fmt=fmt, by="crash")
    os._exit(0)


def main() -> None:
    url, folder = sys.argv[1], sys.argv[2]
    scratch = CampaignStore.open(":memory:", actor="warm-up")  # ORM mappers and imports, before any fork
    scratch.close()
    export.atomic_mass("Fe")
    say("ready")
    for line in sys.stdin:
        _, step, name, fmt = line.split()
        pid = os.fork()
        if pid == 0:
            try:
                work(url, folder, step, name, fmt)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(1)  # an error: the parent sees exit status 1
        say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        say(f"dead {pid} {status}")


if __name__ == "__main__":
    main()
