"""Checkpoints of a trained SSVAE: safe to load, written atomically.

A checkpoint is a ``torch.save`` archive of plain containers only: the
state_dict (tensors), the config, vocabulary, descriptor scaler and metrics
(dicts / lists / str / float / int / bool). It is read back with
``torch.load(weights_only=True)``, whose restricted unpickler refuses any
other object, so a crafted file (an object with ``__reduce__``) raises
``CheckpointError`` instead of running code.

Writes go to a temporary file in the destination folder, are flushed and
fsynced, then ``os.replace``d over the destination (atomic on POSIX), and the
folder is fsynced; a crash leaves either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import pickle
import secrets
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .ssvae import SSVAE, DescriptorScaler, SSVAEConfig

__all__ = ["CheckpointError", "LoadedCheckpoint", "save_checkpoint", "load_checkpoint", "sha256_file"]

FORMAT = "hea-campaign-ssvae"
FORMAT_VERSION = 1


class CheckpointError(Exception):
    """A checkpoint could not be read: unsafe, corrupt, or not ours."""


@dataclass
class LoadedCheckpoint:
    model: SSVAE
    config: SSVAEConfig
    metrics: dict
    sha256: str
    extra: dict
    arrays: dict = field(default_factory=dict)  # name -> numpy array (e.g. the flag reference)


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _plain(obj, where: str = "metrics"):
    """Copy into primitive containers (what weights_only loading accepts)."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return float(obj)
    if hasattr(obj, "item") and getattr(obj, "ndim", 1) == 0:  # numpy / torch scalars
        v = obj.item()
        return v if not isinstance(v, float) or not math.isnan(v) else float("nan")
    if isinstance(obj, dict):
        return {str(k): _plain(v, where) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v, where) for v in obj]
    raise TypeError(f"{where}: cannot store a {type(obj).__name__} in a checkpoint")


def _new_temp(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path`` with the mode the umask gives (mkstemp would force 0600,
    and a lab group sharing a model folder could not load the checkpoint)."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), str(tmp)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


class _Recording:
    """The file ``torch.save`` writes through, keeping the ``OSError`` of a failed write (a full disk, a
    file-size limit): torch turns it into a ``RuntimeError`` ("unexpected pos ...") that says neither."""

    def __init__(self, fh):
        self.fh, self.error = fh, None

    def write(self, data):
        try:
            return self.fh.write(data)
        except OSError as exc:
            if self.error is None:
                self.error = exc
            raise

    def flush(self):
        return self.fh.flush()


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` (errno and reason kept) naming ``path``."""
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def save_checkpoint(
    model: SSVAE,
    path: str | os.PathLike,
    metrics: dict | None = None,
    extra: dict | None = None,
    arrays: dict | None = None,
) -> str:
    """Write ``model`` (with config, vocabulary, scaler, metrics) to ``path``
    atomically; return the file's sha256.

    A write that fails (a full disk, a file-size limit) raises ``OSError`` with its errno and
    ``path`` as the file name, and leaves no file behind.

    ``arrays`` (name -> numpy array) are stored as tensors inside the same
    file, so whatever they hold (the rows a version learned from, its flag
    reference) is covered by the file's sha256."""
    path = Path(path)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "config": _plain(model.config.to_dict(), "config"),
        "vocabulary": list(model.vocabulary),
        "scaler": model.scaler.to_dict(),
        "metrics": _plain(metrics or {}, "metrics"),
        "extra": _plain(extra or {}, "extra"),
        "arrays": {str(k): torch.as_tensor(np.asarray(v)).clone() for k, v in (arrays or {}).items()},
        "torch_version": str(torch.__version__),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _new_temp(path)
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            out = _Recording(fh)
            try:
                torch.save(payload, out)
            except RuntimeError:
                if out.error is None:
                    raise
                raise _naming(out.error, path) from None  # torch reports a failed write as a RuntimeError
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a file-size limit: name the checkpoint, not its temporary file
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise _naming(exc, path) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    try:  # make the rename durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:  # pragma: no cover - platforms without directory fsync
        pass
    return sha256_file(path)


def load_checkpoint(path: str | os.PathLike, expected_sha256: str | None = None) -> LoadedCheckpoint:
    """Read a checkpoint safely (weights_only) and rebuild the model in eval mode.

    Raises CheckpointError when the file is missing, its hash differs from
    ``expected_sha256``, it holds anything but tensors and primitive
    containers (e.g. a malicious pickle), or it is not an SSVAE checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    digest = sha256_file(path)
    if expected_sha256 is not None and digest != expected_sha256.lower():
        raise CheckpointError(f"checkpoint {path} is not the file this version saved (sha256 {digest[:12]}..., "
                              f"expected {expected_sha256[:12]}...)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # protocol notices on foreign files
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"refused to load {path}: it contains objects other than tensors and plain "
            f"containers (possibly malicious); only checkpoints written by save_checkpoint "
            f"are accepted. Detail: {str(exc).splitlines()[0] if str(exc) else exc!r}"
        ) from None
    except Exception as exc:  # corrupt zip, truncated file, ...
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an SSVAE checkpoint")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format {payload.get('format_version')}, newer than this "
            f"program reads ({FORMAT_VERSION})"
        )
    try:
        config = SSVAEConfig.from_dict(payload["config"])
        if list(config.vocabulary) != list(payload["vocabulary"]):
            raise CheckpointError(f"{path}: vocabulary and config disagree")
        model = SSVAE(config, DescriptorScaler.from_dict(payload["scaler"]))
        state = payload["state_dict"]
        # background buffers are sized by the data they summarise
        model.background = torch.zeros_like(state["background"])
        model.background_weights = torch.zeros_like(state["background_weights"])
        model.load_state_dict(state)
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: checkpoint does not match the model: {exc}") from None
    model.eval()
    arrays = payload.get("arrays") or {}
    if not isinstance(arrays, dict) or not all(isinstance(v, torch.Tensor) for v in arrays.values()):
        raise CheckpointError(f"{path}: its stored arrays are not tensors")
    return LoadedCheckpoint(model, config, payload.get("metrics", {}), digest, payload.get("extra", {}),
                            {str(k): v.numpy() for k, v in arrays.items()})
