"""Training a model version from the store, and finding the active one.

A version is a checkpoint file and a ``model_version`` row holding its
config, metrics, a hash of the training rows, seed and library versions.  The
checkpoint also holds the labelled rows the model learned from and its flag
reference (conformal calibration scores, latent and distance thresholds),
computed once here, so the sha256 check covers them too.  Versions trained
before that keep them in a ``.reference.npz`` file beside the checkpoint.  Checkpoints
live beside a SQLite store (``campaign.db`` -> ``campaign.models/``) or in
``HEA_CAMPAIGN_MODELS``.  Loading checks the file's sha256 against the one
recorded: a checkpoint changed on disk is refused, not trusted.
"""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from sqlalchemy.engine import make_url

from hea_campaign.db import store as q
from hea_campaign.db.engine import READ_ONLY_SAYS, is_file_store, store_file, unwritable_store
from hea_campaign.db.tables import ModelVersion

from .errors import CampaignError
from .files import fsync_dir, new_temp_file, write_reason
from .store import CampaignStore, current_user
from .training_set import TrainingSet, snapshot

ENV_MODELS = "HEA_CAMPAIGN_MODELS"


class NoModel(CampaignError):
    """The campaign has no (active) model version yet."""


class TrainingCancelled(CampaignError):
    """Training was stopped and the caller asked not to keep the partial model."""


def models_dir(store: CampaignStore) -> Path:
    return models_dir_of(store.url)


def models_dir_of(store_url: str) -> Path:
    """Where the checkpoints of the store at ``store_url`` go: beside a SQLite file, as ``<stem>.models``."""
    env = os.environ.get(ENV_MODELS)
    if env:
        return Path(env).expanduser().resolve()
    url = make_url(store_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(url.database)
        return db.with_name(db.stem + ".models")
    return Path.cwd() / "hea-campaign-models"


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("hea-campaign", "torch", "pyro-ppl", "numpy", "scikit-learn", "pymatgen", "matminer"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class TrainedVersion:
    version: ModelVersion
    result: object  # model.training.TrainResult
    training_set: TrainingSet
    val_index: np.ndarray


def refuse_unwritable(store: CampaignStore) -> None:
    """Before training, not after its minutes: a store or a checkpoint folder this program cannot write."""
    if is_file_store(store.url) and unwritable_store(store_file(store.url)):
        raise CampaignError(READ_ONLY_SAYS)
    folder = models_dir(store)
    nearest = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if nearest is not None and not os.access(nearest, os.W_OK):
        raise CampaignError(f"the checkpoint folder {folder} cannot be written from here ({nearest} is read-only): "
                            f"nothing was trained; give one that can with {ENV_MODELS}=FOLDER")


def train_version(
    store: CampaignStore,
    *,
    seed: int = 0,
    epochs: int | None = None,
    config_overrides: dict | None = None,
    progress: Callable | None = None,
    should_stop: Callable[[], bool] | None = None,
    activate: bool = False,
    by: str | None = None,
    validation_fraction: float = 0.1,
    training_set: TrainingSet | None = None,
    keep_if_cancelled: bool = True,
    warm_start: ModelVersion | None = None,
    scorer_members: tuple[str, ...] | None = None,
    use_scorer: bool = True,
    holdout_ids: set[int] | None = None,
) -> TrainedVersion:
    """Train on the campaign's current labels, save the checkpoint, record the version.

    A cancelled training keeps its best model so far as a version (marked
    ``cancelled`` in its metrics) unless ``keep_if_cancelled`` is false, in
    which case nothing is written and ``TrainingCancelled`` is raised.
    ``warm_start`` continues from another version's weights (same architecture).
    The scorer (``model.scoring``) is chosen on the same validation rows (or
    ``scorer_members`` is taken as given) and stored in the checkpoint;
    ``use_scorer=False`` keeps the SSVAE head as the only scorer.
    ``holdout_ids``: labelled alloys kept out of training and validation (the
    rows ``retrain`` compares versions on).
    """
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
        raise CampaignError(f"epochs must be a whole number of at least 1, not {epochs!r}")
    refuse_unwritable(store)
    rows = _Rows.of(training_set or snapshot(store), validation_fraction, seed, holdout_ids)
    config, init = _config(seed, epochs, config_overrides, warm_start)
    result = _fit(rows, config, init, progress, should_stop, keep_if_cancelled)
    metrics = _metrics(rows, result, warm_start)
    fitted = _FittedScorer.of(result.model, rows, seed, scorer_members, metrics) if use_scorer else None
    model_out = _scored(result.model, fitted.scorer) if fitted else result.model
    if not fitted:
        metrics["scorer"] = "ssvae"
    ckpt, sha = _save(store, rows, seed, result.model, model_out, fitted, metrics)
    try:
        version = _record(store, rows, config, metrics, ckpt, sha, seed, by, result, activate)
    except BaseException:  # no version names these files: leave none behind (a Ctrl+C, a store replaced)
        for path in (ckpt, _trees_file(ckpt)):
            path.unlink(missing_ok=True)
        raise
    result.model = model_out
    return TrainedVersion(version, result, rows.ts, rows.val)


@dataclass(frozen=True)
class _Rows:
    """A training set cut into the rows a version trains on and the validation rows that choose for it."""

    ts: TrainingSet
    train: np.ndarray
    val: np.ndarray
    data_hash: str  # of the whole training set (labels and unlabelled alloys), as the version records it
    held: np.ndarray  # indices of labelled alloys kept out of both (retrain's comparison rows)

    @classmethod
    def of(cls, ts: TrainingSet, validation_fraction: float, seed: int, holdout_ids: set[int] | None) -> _Rows:
        if len(ts.y_lab) < 20 or len(set(ts.y_lab.tolist())) < 2:
            raise CampaignError(f"need at least 20 labelled alloys of both classes to train (have {len(ts.y_lab)}); "
                                "import a dataset first")
        train_idx, val_idx = ts.validation_split(validation_fraction, seed)
        held = np.zeros(len(ts.lab_ids), dtype=bool)
        if holdout_ids:  # kept out of both (the rows `retrain` compares versions on)
            held = np.isin(ts.lab_ids, np.fromiter(holdout_ids, dtype=int))
            train_idx, val_idx = train_idx[~held[train_idx]], val_idx[~held[val_idx]]
        return cls(ts, train_idx, val_idx, ts.data_hash(), np.flatnonzero(held))

    def roles(self, semi_supervised: bool) -> dict[str, np.ndarray]:
        """role -> alloy ids (``db.states.MODEL_ROLES``), as the store records them with the version."""
        ids = self.ts.lab_ids
        roles = {"train": ids[self.train], "validation": ids[self.val], "comparison": ids[self.held]}
        if semi_supervised:
            roles["unlabelled"] = self.ts.unlab_ids
        return roles

    @property
    def fit(self) -> tuple[np.ndarray, np.ndarray]:
        return self.ts.X_lab[self.train], self.ts.y_lab[self.train]

    @property
    def check(self) -> tuple[np.ndarray, np.ndarray]:
        return self.ts.X_lab[self.val], self.ts.y_lab[self.val]


def _config(seed: int, epochs: int | None, config_overrides: dict | None, warm_start: ModelVersion | None):
    """The SSVAE config (a warm start keeps its version's architecture) and the head to start from."""
    from hea_campaign.model.ssvae import SSVAEConfig

    overrides = {**(config_overrides or {}), "seed": seed, **({"epochs": epochs} if epochs is not None else {})}
    if warm_start is None:
        return SSVAEConfig().replace(**overrides), None
    from .scoring import head_of

    return SSVAEConfig.from_dict(warm_start.config).replace(**overrides), head_of(load_version(warm_start)[0])


def _fit(rows: _Rows, config, init, progress, should_stop, keep_if_cancelled: bool):
    """Train the SSVAE; a cancel raises ``TrainingCancelled`` when there is nothing (or nothing wanted) to keep."""
    from hea_campaign.model.training import train

    try:
        result = train(*rows.fit, rows.ts.X_unlab, *rows.check, config, progress=progress,
                       should_stop=should_stop, init=init)
    except ValueError as exc:
        raise CampaignError(f"cannot train: {exc}") from None
    if result.cancelled and not keep_if_cancelled:
        raise TrainingCancelled("training was cancelled; nothing was saved")
    if result.cancelled and result.best_epoch == 0:
        raise TrainingCancelled("training was stopped before its first epoch ended; nothing was saved")
    return result


def _metrics(rows: _Rows, result, warm_start: ModelVersion | None) -> dict:
    """The SSVAE head's figures, kept with the version (the scorer's are added by ``_FittedScorer``)."""
    from hea_campaign.model.training import binary_metrics

    model = result.model
    X_val, y_val = rows.check
    X_fit, y_fit = rows.fit
    val = binary_metrics(y_val, model.predict_proba(X_val))
    metrics = {
        "val_accuracy": val["accuracy"],
        "val_auc": val["roc_auc"],
        "train_accuracy": binary_metrics(y_fit, model.predict_proba(X_fit))["accuracy"],
        "best_epoch": result.best_epoch,
        "train_seconds": round(result.wall_s, 2),
        "cancelled": bool(result.cancelled),
    }
    if warm_start is not None:
        metrics["warm_start_from"] = warm_start.id
    return metrics


@dataclass(frozen=True)
class _FittedScorer:
    """The ensemble scorer chosen on the validation rows, and p on those rows from members that never
    saw them (the kept scorer refits its trees on them): what conformal calibration and `reliability` need."""

    scorer: object  # model.scoring.Scorer
    calibration: Callable[[np.ndarray], np.ndarray]

    @classmethod
    def of(cls, ssvae, rows: _Rows, seed: int, members, metrics: dict) -> _FittedScorer:
        from .scoring import fit_version_scorer

        sc, calibration_scorer = fit_version_scorer(ssvae, *rows.fit, *rows.check, seed=seed, members=members,
                                                    vocabulary=rows.ts.vocabulary)
        metrics["scorer"] = sc.label
        metrics["scorer_validation"] = sc.validation
        return cls(sc, calibration_scorer.predict_proba)


def _save(store: CampaignStore, rows: _Rows, seed: int, ssvae, model_out, fitted: _FittedScorer | None,
          metrics: dict) -> tuple[Path, str]:
    """Write the checkpoint with its rows, flag reference and scorer (so its sha256 covers them all)."""
    from hea_campaign.model.checkpoint import save_checkpoint

    from .uncertainty import build_reference

    folder = models_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    ts = rows.ts
    # the token: one thread training twice on the same rows and seed (the TUI) must not write over the first
    stem = (f"c{store.campaign_id}-{rows.data_hash[:10]}-s{seed}-{os.getpid()}-{threading.get_ident() % 10000}"
            f"-{secrets.token_hex(3)}")
    ckpt = folder / f"{stem}.pt"
    calibration = fitted.calibration if fitted else None
    reference = build_reference(model_out, *rows.fit, *rows.check, scorer=calibration)
    arrays = {"X_lab": rows.fit[0], "y_lab": rows.fit[1], "train_ids": ts.lab_ids[rows.train],
              "val_ids": ts.lab_ids[rows.val], "unlab_ids": ts.unlab_ids, **reference.to_arrays()}
    held_out = calibration or model_out.predict_proba  # not an in-sample diagram: see _FittedScorer
    arrays["val_p"] = np.asarray(held_out(rows.check[0]) if len(rows.val) else np.zeros(0), np.float64).ravel()
    extra = {}
    if fitted:
        extra["scorer"] = fitted.scorer.state(with_rows=False)  # its rows go into the arrays (scorer_X_fit, ...)
        arrays.update({f"scorer_{k}": v for k, v in fitted.scorer.row_arrays().items()})
        trees_sha = _write_trees(_trees_file(ckpt), fitted.scorer)  # loads rebuild the trees from this file
        if trees_sha:
            extra["scorer_trees_sha256"] = trees_sha
    try:
        return ckpt, save_checkpoint(ssvae, ckpt, metrics=metrics, extra=extra, arrays=arrays)
    except BaseException as exc:  # no version will name the trees written for it
        _trees_file(ckpt).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise CampaignError(f"could not write the checkpoint {ckpt}: {write_reason(exc, ckpt)}; "
                                f"nothing was saved") from None
        raise


def _record(store: CampaignStore, rows: _Rows, config, metrics: dict, ckpt: Path, sha: str, seed: int,
            by: str | None, result, activate: bool) -> ModelVersion:
    """The version's row and its audit event, in one unit of work (activated if asked and not cancelled)."""
    ts = rows.ts
    with store.write() as session:
        version = ModelVersion(
            campaign_id=store.campaign_id,
            created_by=by or current_user(),
            config=config.to_dict(),
            metrics=metrics,
            data_hash=rows.data_hash,
            seed=seed,
            library_versions=library_versions(),
            checkpoint_path=str(ckpt),
            checkpoint_sha256=sha,
            n_labelled=int(len(rows.train)),
            n_unlabelled=int(len(ts.X_unlab)) if not getattr(config, "supervised_only", False) else 0,
            active=False,
            last_measurement_id=ts.last_measurement_id,
        )
        session.add(version)
        session.flush()
        q.record_model_roles(session, version.id, rows.roles(semi_supervised=version.n_unlabelled > 0))
        q.audit(session, actor=by or current_user(), action="model.train", entity="model_version",
                entity_id=version.id, campaign_id=store.campaign_id,
                payload={"metrics": metrics, "data_hash": rows.data_hash, "seed": seed,
                         "excluded": ts.excluded, "n_validation": int(len(rows.val)),
                         "curve": training_curve_record(result.history)})
        if activate and not result.cancelled:  # an interrupted model is kept, never made active silently
            _activate(session, store, version, by)
    return version


def _scored(ssvae, scorer):
    from .scoring import ScoredModel

    return ScoredModel(ssvae, scorer)


def training_curve_record(history: list[dict]) -> list[dict]:
    """The per-epoch losses and validation metrics, rounded, as kept in the model.train audit event.

    Kept in the store (not only on the screen), so the Models screen shows a
    version's curves after a restart and on another computer.
    """
    def num(v):
        v = float(v)
        return None if v != v or v in (float("inf"), float("-inf")) else float(f"{v:.5g}")

    return [{k: (int(v) if k == "epoch" else num(v)) for k, v in rec.items()} for rec in history]


def _activate(session, store: CampaignStore, version: ModelVersion, by: str | None) -> None:
    current = q.active_model(session, store.campaign_id)
    if current is not None and current.id == version.id:
        return
    if current is not None:
        current.active = False
        session.add(current)
        session.flush()
    version.active = True
    session.add(version)
    q.audit(session, actor=by or current_user(), action="model.activate", entity="model_version",
            entity_id=version.id, campaign_id=store.campaign_id,
            payload={"previous": current.id if current else None})


def activate(store: CampaignStore, version_id: int, by: str | None = None) -> ModelVersion:
    with store.write() as session:
        version = session.get(ModelVersion, version_id)
        if version is None or version.campaign_id != store.campaign_id:
            raise CampaignError(f"no model version {version_id} in this campaign")
        _activate(session, store, version, by)
        return version


def list_versions(store: CampaignStore) -> list[ModelVersion]:
    with store.read() as session:
        return q.model_versions(session, store.campaign_id)


def get_version(store: CampaignStore, version_id: int | None = None) -> ModelVersion:
    """A version by id, or the active one, with its checkpoint looked up where the store is now."""
    with store.read() as session:
        if version_id is None:
            version = q.active_model(session, store.campaign_id)
            if version is None:
                raise NoModel("no active model yet: train one (Retrain tab in the TUI, or `hea-campaign train --activate`)")
        else:
            version = session.get(ModelVersion, version_id)
            if version is None or version.campaign_id != store.campaign_id:
                raise NoModel(f"no model version {version_id} in this campaign")
        session.expunge(version)
    return located(store, version)


def located(store: CampaignStore, version: ModelVersion | None) -> ModelVersion | None:
    """The version with its checkpoint path moved to the store's model folder when the recorded path is gone.

    A store records absolute paths; a campaign folder that was moved, or a backup restored beside its
    copied model folder, keeps the checkpoints under ``models_dir(store)`` with the same names.  The
    sha256 check still decides whether the file found there is the version's.  (In memory only: the
    stored path is not rewritten.)"""
    if version is None or not version.checkpoint_path:
        return version
    found = checkpoint_file(version.checkpoint_path, store.url)
    if found is not None:
        version.checkpoint_path = str(found)
    return version


def checkpoint_file(recorded: str, store_url: str) -> Path | None:
    """The checkpoint at its recorded path, else under the store's model folder by name, else None."""
    path = Path(recorded)
    if path.exists():
        return path
    here = models_dir_of(store_url) / path.name
    return here if here.exists() else None


def checkpoint_files(checkpoint: Path) -> list[Path]:
    """A checkpoint and the files beside it that belong to it (its trees, an older version's rows)."""
    beside = (_trees_file(checkpoint), checkpoint.with_name(checkpoint.stem + ".reference.npz"))
    return [checkpoint, *(f for f in beside if f.exists())]


_cache: OrderedDict[str, tuple] = OrderedDict()  # sha256 -> entry, least recently used first
_cache_lock = threading.Lock()
_CACHE_SIZE = 8  # a TUI session touches a few versions; a simulation trains hundreds


def _unusable(version: ModelVersion, why) -> CampaignError:
    return CampaignError(f"model version {version.id}: {why}; restore its files from a backup (the folder beside "
                         "a backed-up store, e.g. lab.models), or train or activate another version "
                         "(hea-campaign models; hea-campaign activate ID)")


def check_checkpoint(version: ModelVersion) -> None:
    """The version's checkpoint is on disk and is the file it saved (sha256), read from disk even when the
    model is cached in this process: what a later command will find."""
    from hea_campaign.model.checkpoint import sha256_file

    path = Path(version.checkpoint_path or "")
    if not path.is_file():
        raise _unusable(version, f"no checkpoint at {path}")
    if sha256_file(path) != (version.checkpoint_sha256 or "").lower():
        raise _unusable(version, f"the checkpoint {path} is not the file this version saved (its sha256 differs)")


def load_version(version: ModelVersion):
    """(model, reference rows X_lab, y_lab) of a version, verified against its sha256."""
    model, arrays = _load(version)
    return model, arrays["X_lab"], arrays["y_lab"]


def version_arrays(version: ModelVersion) -> dict:
    """The arrays stored with a version (training rows, ids, flag reference), verified."""
    return _load(version)[1]


def _load(version: ModelVersion):
    from hea_campaign.model.checkpoint import load_checkpoint

    with _cache_lock:
        if version.checkpoint_sha256 in _cache:
            _cache.move_to_end(version.checkpoint_sha256)
            return _cache[version.checkpoint_sha256]
    from hea_campaign.model.checkpoint import CheckpointError

    path = Path(version.checkpoint_path)
    try:
        loaded = load_checkpoint(path, expected_sha256=version.checkpoint_sha256)
    except CheckpointError as exc:
        raise _unusable(version, exc) from None
    arrays = dict(loaded.arrays)
    if "X_lab" not in arrays:  # a version trained before the rows went into the checkpoint
        legacy = path.with_name(path.stem + ".reference.npz")
        try:
            with np.load(legacy, allow_pickle=False) as ref:
                arrays = {k: ref[k] for k in ref.files if k in ("X_lab", "y_lab", "train_ids", "val_ids")}
        except (OSError, ValueError) as exc:
            raise CampaignError(f"model version {version.id}: cannot read its training rows {legacy}: {exc}") from None
    model = loaded.model
    state = (loaded.extra or {}).get("scorer")
    if state and "X_fit" not in state and "scorer_X_fit" in arrays:  # rows kept as arrays, not lists
        state = {**state, "X_fit": arrays.pop("scorer_X_fit"), "y_fit": arrays.pop("scorer_y_fit")}
    if state:
        from hea_campaign.model.scoring import Scorer

        def build(ssvae=model, vid=version.id, path=path, trees_sha=(loaded.extra or {}).get("scorer_trees_sha256")):
            with _stored_trees(_trees_file(path), trees_sha) as trees:
                if trees is not None:
                    try:
                        return Scorer.from_state(state, ssvae, trees=trees)
                    except Exception:  # noqa: BLE001 - not what this version stored after all: refit below
                        pass
            try:
                return Scorer.from_state(state, ssvae)
            except (KeyError, TypeError, ValueError) as exc:
                raise CampaignError(f"model version {vid}: cannot rebuild its scorer: {exc}") from None

        model = _scored(model, build)
    entry = (model, arrays)
    with _cache_lock:
        _cache[version.checkpoint_sha256] = entry
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return entry


# --- the scorer's fitted trees, kept beside the checkpoint ----------------------------------
# Refitting the scorer's forests from the stored rows grows with the labelled alloys (600 trees
# on every row at each load: most of a propose on a store of 10^4 alloys).  Training writes the
# fitted trees as plain arrays (np.savez, no pickles) beside the checkpoint and puts the file's
# sha256 into the checkpoint, which the store's own sha256 covers; a load rebuilds the forests
# from the file only when its sha256 and scikit-learn's version match.  Otherwise (a changed,
# missing or damaged file, another scikit-learn, a version trained before this) the trees are
# refitted from the checkpoint's rows: deterministic, only slower.

_TREES_FORMAT = "2"  # 2: forests stored compact (only the node fields prediction reads)
_TREES_FORMATS_READ = ("1", "2")  # 1: forests stored as scikit-learn's whole nodes and values


def _trees_file(checkpoint: Path) -> Path:
    return checkpoint.with_name(checkpoint.stem + ".trees.npz")


def _trees_key(form: str = _TREES_FORMAT) -> str:
    import sklearn

    return f"{form}|scikit-learn {sklearn.__version__}"


@contextlib.contextmanager
def _stored_trees(path: Path, sha256: str | None):
    """The stored trees as a mapping read one array at a time (an open ``np.load`` archive), or
    None unless the file is exactly the one the checkpoint names.

    The file is hashed in chunks and then read through the same open descriptor (trees files are
    replaced by atomic renames, so what is read is what was hashed), instead of being held whole in
    memory beside the arrays taken out of it: the trees of a forest fitted on 10^5 alloys take
    gigabytes."""
    import hashlib

    archive = None
    fh = None
    if sha256:
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below, after the caller is done
        except OSError:
            fh = None
    try:
        if fh is not None:
            digest = hashlib.sha256()
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
            if digest.hexdigest() == sha256:
                try:
                    fh.seek(0)
                    archive = np.load(fh, allow_pickle=False)
                    if str(archive["key"]) not in {_trees_key(f) for f in _TREES_FORMATS_READ}:
                        archive = None
                except Exception:  # noqa: BLE001 - unreadable after all (BadZipFile and the like): refit
                    archive = None
        yield archive
    finally:
        if archive is not None:
            archive.close()
        if fh is not None:
            fh.close()


def _trees_not_written(exc: OSError, path: Path) -> CampaignError:
    """A trees file that could not be written fails the training (a full disk, a file-size limit): kept
    without it, the version would refit its forests at every load, and the disk would be full for the
    next write anyway.  Nothing is left behind."""
    return CampaignError(f"could not write the scorer's trees {path}: {write_reason(exc, path)}; nothing was saved")


def _write_trees(path: Path, scorer) -> str | None:
    """Write the scorer's trees atomically; their sha256, or None when there are none (no forest).

    Written straight into the temporary file (not built in memory first) and hashed as it is
    read back in chunks, so writing costs no second copy of the trees."""
    import hashlib

    arrays = scorer.tree_arrays()
    if not arrays:
        return None
    try:
        fd, tmp = new_temp_file(path)
    except OSError as exc:
        raise _trees_not_written(exc, path) from None
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, key=np.array(_trees_key()), **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        with open(tmp, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _trees_not_written(exc, path) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        fsync_dir(path.parent)
    return digest.hexdigest()
