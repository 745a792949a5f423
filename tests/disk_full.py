"""A disk that fills up part-way through a write, for tests of what a full disk leaves behind."""

from __future__ import annotations

import errno
import os


def full_after(monkeypatch, nbytes: int, only=lambda path: True) -> None:
    """Files opened with ``os.fdopen`` (whose path ``only`` accepts) take ``nbytes``, then the disk is full:
    part of a write goes in first, as on a real disk."""
    real = os.fdopen

    class Filling:
        def __init__(self, fh):
            self.fh, self.left = fh, nbytes

        def write(self, data):
            if len(data) > self.left:
                self.fh.write(bytes(data[: self.left]))
                self.left = 0
                raise OSError(errno.ENOSPC, "No space left on device")
            self.left -= len(data)
            return self.fh.write(data)

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def fdopen(fd, *a, **k):
        fh = real(fd, *a, **k)
        return Filling(fh) if only(os.readlink(f"/proc/self/fd/{fd}")) else fh

    monkeypatch.setattr(os, "fdopen", fdopen)
