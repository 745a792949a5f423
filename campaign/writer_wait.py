"""The front ends' handle on how long their own thread waits for another writer (see ``db.writer_wait``).

The TUI's thread waits a few seconds, not the default 30: a long import in
another terminal then gives a quick "the store is busy" instead of a frozen
screen.  Workers and the CLI keep the default.
"""

from hea_campaign.db.writer_wait import say_when_waiting, thread_wait_ms, wait_for_writers  # noqa: F401
