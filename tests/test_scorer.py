"""The scorer (chosen on validation, stored without pickles) and retrain's fair comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hea_campaign.campaign.model_versions import version_arrays

from hea_campaign.campaign.evaluation import seed_rows
from hea_campaign.model.scoring import CANDIDATE_SETS, Scorer, fit_scorer, scorer_features


def _rows(n=300, seed=0):
    rows = seed_rows()
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(rows.y))
    return rows.X[idx[:n]], rows.y[idx[:n]], rows.X[idx[n:n + 200]], rows.y[idx[n:n + 200]]


def test_scorer_state_round_trip_gives_the_same_probabilities():
    X, y, Xv, yv = _rows()
    sc = fit_scorer(X, y, Xv[:60], yv[:60], seed=3)
    assert sc.validation  # chosen on validation: every candidate set without the SSVAE was scored
    assert set(sc.validation) == {"+".join(c) for c in CANDIDATE_SETS if "ssvae" not in c}
    best = max(sc.validation.items(), key=lambda kv: (round(kv[1]["roc_auc"], 3), -kv[1]["log_loss"]))[0]
    assert sc.label == best
    state = sc.state()
    assert all(isinstance(v, (list, int, str, dict)) for v in state.values())  # plain containers only
    again = Scorer.from_state(state)
    p1, s1 = sc.predict_proba(Xv[60:], return_std=True)
    p2 = again.predict_proba(Xv[60:])
    assert np.array_equal(p1, p2) and p1.shape == s1.shape == (len(Xv) - 60,)
    assert (s1 >= 0).all() and ((p1 >= 0) & (p1 <= 1)).all()
    # the trees were refitted on training + validation rows
    assert len(again.y_fit) == len(y) + 60


def test_small_validation_keeps_the_default_members():
    X, y, Xv, yv = _rows(120)
    sc = fit_scorer(X, y, Xv[:5], yv[:5], seed=0)
    assert sc.validation == {} and sc.members == ("forest",)
    assert scorer_features(X[:3]).shape == (3, 17 + X.shape[1])


def test_version_checkpoint_carries_the_scorer(trained_store):
    from hea_campaign.campaign import model_versions as mv
    from hea_campaign.campaign.scoring import ScoredModel

    version = mv.get_version(trained_store)
    assert version.metrics["scorer"]
    mv._cache.clear()
    model, X_ref, _ = mv.load_version(version)
    assert isinstance(model, ScoredModel) and model.scorer.label == version.metrics["scorer"]
    p = model.predict_proba(X_ref[:20])
    mv._cache.clear()
    model2, _, _ = mv.load_version(version)
    assert np.array_equal(p, model2.predict_proba(X_ref[:20]))  # refitted deterministically
    assert model2.encode(X_ref[:3], p[:3])[0].shape == (3, 2)  # the SSVAE is still there for design


def test_retrain_compares_on_rows_neither_version_used(trained_store):
    from hea_campaign.campaign.model_versions import activate
    from hea_campaign.campaign.retraining import comparison_ids, retrain
    from hea_campaign.campaign.training_set import snapshot

    ts = snapshot(trained_store)
    held = comparison_ids(ts.lab_ids, ts.X_lab)
    assert 0.05 * len(ts.lab_ids) < len(held) < 0.15 * len(ts.lab_ids)
    t2, c2 = retrain(trained_store, seed=1, epochs=20, by="tester")
    activate(trained_store, t2.version.id, "tester")
    t3, c3 = retrain(trained_store, seed=2, epochs=20, by="tester")
    used = {}
    for t in (t2, t3):
        ref = version_arrays(t.version)  # the rows a version used are stored inside its checkpoint
        used[t.version.id] = set(ref["train_ids"].tolist()) | set(ref["val_ids"].tolist())
        assert not used[t.version.id] & held  # kept out of training and of selection
    assert c3.active_id == t2.version.id and c3.n_unseen_by_both == len(held)
    assert c3.new["n"] == c3.active["n"] == len(held)
    # the first retrain: v1 saw almost everything, so few rows (its validation rows) are fair
    assert c2.n_unseen_by_both < len(held)


def test_a_store_with_unlabelled_alloys_feeds_them_to_the_unlabelled_term(seeded_store):
    from hea_campaign.campaign.importing import import_csv
    from hea_campaign.campaign.model_versions import train_version
    from hea_campaign.campaign.training_set import snapshot

    mpea = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "external" / "MPEA_dataset.csv"
    before = snapshot(seeded_store)
    assert len(before.unlab_ids) == 0  # the seed set alone has no unlabelled alloy
    import_csv(seeded_store, mpea, source="MPEA (B2 / Other rows unlabelled)", actor="tester")
    ts = snapshot(seeded_store)
    assert len(ts.unlab_ids) > 50  # B2 and Other rows: phase ambiguous, stored without a label
    trained = train_version(seeded_store, seed=0, epochs=20, by="tester", use_scorer=False,
                            config_overrides={"eval_every": 5, "patience": 0})
    assert trained.version.n_unlabelled == len(ts.unlab_ids)
    assert trained.result.metrics["n_unlabelled"] == len(ts.unlab_ids)
    terms = [h["elbo_unlab"] for h in trained.result.history]
    assert terms and all(t > 0 for t in terms)  # the unlabelled ELBO term saw them every epoch
    sup = train_version(seeded_store, seed=0, epochs=20, by="tester", use_scorer=False,
                        config_overrides={"eval_every": 5, "patience": 0, "supervised_only": True})
    assert all(h["elbo_unlab"] == 0 for h in sup.result.history) and sup.version.n_unlabelled == 0


def _whole_tree_arrays(sc) -> dict[str, np.ndarray]:
    """The trees as format 1 stored them: every member's nodes and values whole."""
    from hea_campaign.model.scoring import _estimators

    out = {}
    for name, model in sc._trees.items():
        states = [est.tree_.__getstate__() for est in _estimators(model)]
        nodes = np.concatenate([st["nodes"] for st in states])
        out.update({f"{name}.nodes.{f}": np.ascontiguousarray(nodes[f]) for f in nodes.dtype.names})
        out[f"{name}.values"] = np.concatenate([st["values"] for st in states])
        out[f"{name}.node_count"] = np.array([st["node_count"] for st in states], dtype=np.int64)
        out[f"{name}.max_depth"] = np.array([st["max_depth"] for st in states], dtype=np.int64)
        if name == "boosting":
            out[f"{name}.class_prior"] = np.asarray(model.init_.class_prior_, dtype=np.float64)
    return out


def test_stored_trees_give_the_same_scorer_without_refitting(monkeypatch):
    import hea_campaign.model.scoring as scoring

    X, y, Xv, yv = _rows(200)
    sc = fit_scorer(X[:150], y[:150], members=("forest", "extra_trees", "boosting"), seed=5)
    arrays = sc.tree_arrays()
    assert arrays and all(isinstance(v, np.ndarray) and v.dtype != object for v in arrays.values())

    def no_refit(*args, **kwargs):
        raise AssertionError("the trees were refitted")

    monkeypatch.setattr(scoring, "_fit_trees", no_refit)
    again = Scorer.from_state(sc.state(), trees=arrays)
    p1, s1 = sc.predict_proba(Xv, return_std=True)
    p2, s2 = again.predict_proba(Xv, return_std=True)
    assert np.array_equal(p1, p2) and np.array_equal(s1, s2)
    assert np.array_equal(again.predict_proba(Xv), p1)
    few = again.predict_proba(Xv[:9], return_std=True)  # a few rows: every tree walked at once
    assert np.array_equal(few[0], p1[:9]) and np.array_equal(few[1], s1[:9])
    # the forests come back compact (only what prediction reads), bit for bit scikit-learn's,
    # missing values included (they go where each split sends them)
    F = scorer_features(Xv, sc.vocabulary)
    F[::7, 3] = np.nan
    F[::5, -1] = np.nan
    for name in ("forest", "extra_trees"):
        compact, fitted = again._trees[name], sc._trees[name]
        assert isinstance(compact, scoring.CompactForest) and compact.n_trees == len(fitted.estimators_)
        assert np.array_equal(compact.predict_proba(F)[:, 1], fitted.predict_proba(F)[:, 1])
        assert np.array_equal(compact.votes(F), np.stack([t.predict_proba(F)[:, 1] for t in fitted.estimators_]))
        assert np.array_equal(compact.predict_proba(F[:20])[:, 1], fitted.predict_proba(F[:20])[:, 1])
        assert np.array_equal(compact.votes(F[:20]), np.stack([t.predict_proba(F[:20])[:, 1] for t in fitted.estimators_]))
    # forests are stored compact; trees files written whole (format 1) still read, to the same bits
    assert not {k for k in arrays if k.startswith(("forest.", "extra_trees.")) and ("impurity" in k or k.endswith(".values"))}
    whole = _whole_tree_arrays(sc)
    assert sum(v.nbytes for v in arrays.values()) < 0.5 * sum(v.nbytes for v in whole.values())
    from_whole = Scorer.from_state(sc.state(), trees=whole)
    assert np.array_equal(from_whole.predict_proba(Xv, return_std=True)[1], s1)
    assert np.array_equal(from_whole.predict_proba(Xv), p1)
    broken = dict(arrays)
    broken["forest.nodes.left_child"] = np.zeros_like(arrays["forest.nodes.left_child"])  # a walk that never ends
    try:
        Scorer.from_state(sc.state(), trees=broken)
    except ValueError as exc:
        assert "does not match" in str(exc)
    else:
        raise AssertionError("trees whose walks loop were accepted")


def test_a_version_reads_only_the_trees_its_checkpoint_names(trained_store, monkeypatch):
    """Trees beside the checkpoint are used only when their sha256 is the one the checkpoint holds:
    other trees (another scorer's) or a damaged file are ignored and the forests refitted."""
    import hea_campaign.model.scoring as scoring
    from hea_campaign.campaign import model_versions as mv

    version = mv.get_version(trained_store)
    trees_file = mv._trees_file(Path(version.checkpoint_path))
    assert trees_file.exists()  # written by training
    mv._cache.clear()
    model, X_ref, y_ref = mv.load_version(version)
    assert set(model.scorer.members) & {"forest", "extra_trees", "boosting"}  # the fixture's scorer has trees
    fits = []
    real_fit = scoring._fit_trees
    monkeypatch.setattr(scoring, "_fit_trees", lambda *a, **k: fits.append(1) or real_fit(*a, **k))
    p, s = model.predict_proba(X_ref[:50], return_std=True)
    assert fits == []  # rebuilt from the file, not refitted
    foreign = fit_scorer(X_ref[::2], 1 - y_ref[::2], members=model.scorer.members, seed=1,
                         vocabulary=model.vocabulary, ssvae=model.scorer.ssvae if "ssvae" in model.scorer.members else None)
    for replacement in (None, b"not an archive"):
        if replacement is None:  # another scorer's trees, a well-formed archive with the right key
            assert mv._write_trees(trees_file, foreign)
        else:
            trees_file.write_bytes(replacement)
        mv._cache.clear()
        fits.clear()
        again, _, _ = mv.load_version(version)
        p2, s2 = again.predict_proba(X_ref[:50], return_std=True)
        assert fits == [1] and np.array_equal(p, p2) and np.array_equal(s, s2), replacement


def test_training_writes_the_trees_the_loaded_version_uses(seeded_store, monkeypatch):
    import hea_campaign.model.scoring as scoring
    from hea_campaign.campaign import model_versions as mv

    trained = mv.train_version(seeded_store, seed=0, epochs=3, scorer_members=("forest", "extra_trees"))
    trees_file = mv._trees_file(Path(trained.version.checkpoint_path))
    assert trees_file.exists()
    X = trained.training_set.X_lab[:40]
    p, s = trained.result.model.predict_proba(X, return_std=True)  # the scorer fitted by training

    def no_refit(*args, **kwargs):
        raise AssertionError("the trees were refitted")

    monkeypatch.setattr(scoring, "_fit_trees", no_refit)

    def whole_file(self):  # the trees of a forest on 10^5 alloys take gigabytes: hashed and read in parts
        raise AssertionError(f"{self} was read whole into memory")

    monkeypatch.setattr(Path, "read_bytes", whole_file)
    mv._cache.clear()
    model, _, _ = mv.load_version(trained.version)
    p2, s2 = model.predict_proba(X, return_std=True)
    assert np.array_equal(p, p2) and np.array_equal(s, s2)


def test_a_version_keeps_its_scorer_rows_as_arrays_not_lists(trained_store):
    """The rows the scorer's trees were fitted on are stored as arrays in the checkpoint (one
    tensor, covered by its sha256), not as nested lists of Python floats; a version trained
    before, which holds them as lists, still gives the same scorer."""
    from hea_campaign.campaign import model_versions as mv
    from hea_campaign.model.checkpoint import load_checkpoint

    version = mv.get_version(trained_store)
    loaded = load_checkpoint(version.checkpoint_path, expected_sha256=version.checkpoint_sha256)
    state = loaded.extra["scorer"]
    assert "X_fit" not in state and "y_fit" not in state
    X, y = loaded.arrays["scorer_X_fit"], loaded.arrays["scorer_y_fit"]
    assert X.shape == (len(y), len(loaded.model.vocabulary))
    assert len(y) == len(loaded.arrays["train_ids"]) + len(loaded.arrays["val_ids"])
    mv._cache.clear()
    model, X_ref, _ = mv.load_version(version)
    assert np.array_equal(model.scorer.X_fit, X) and np.array_equal(model.scorer.y_fit, y)
    as_lists = Scorer.from_state({**state, "X_fit": X.tolist(), "y_fit": y.tolist()},
                                 model.scorer.ssvae if "ssvae" in model.scorer.members else None)
    assert np.array_equal(as_lists.predict_proba(X_ref[:30]), model.predict_proba(X_ref[:30]))


def test_the_calibration_scorer_reuses_the_trees_selection_fitted(monkeypatch):
    """fit_version_scorer's calibration scorer (chosen members on the training rows only) is the
    set selection already fitted on those rows: taken over, not fitted a second time, and it gives
    what a fresh fit gives."""
    import hea_campaign.model.scoring as scoring
    from hea_campaign.campaign.scoring import fit_version_scorer

    X, y, Xv, yv = _rows(200)
    fits: list[tuple[str, int]] = []
    real_fit = scoring._fit_trees
    monkeypatch.setattr(scoring, "_fit_trees",
                        lambda names, X_, y_, seed, voc: fits.extend((n, len(X_)) for n in names)
                        or real_fit(names, X_, y_, seed, voc))
    sc, calibration = fit_version_scorer(None, X, y, Xv[:60], yv[:60], seed=2)
    tree_members = [m for m in sc.members if m != "ssvae"]
    assert tree_members and sc.validation  # selection ran
    for m in tree_members:  # once on the training rows (selection), once on training + validation
        assert sorted(n for name, n in fits if name == m) == [len(X), len(X) + 60], fits
    monkeypatch.setattr(scoring, "_fit_trees", real_fit)
    fresh = Scorer(sc.members, 2, sc.vocabulary, np.asarray(X, np.float64), np.asarray(y).astype(np.int64))
    p1, s1 = calibration.predict_proba(Xv[60:], return_std=True)
    p2, s2 = fresh.predict_proba(Xv[60:], return_std=True)
    assert np.array_equal(p1, p2) and np.array_equal(s1, s2)
    # members given (no selection): the calibration scorer is fitted on the training rows as before
    fits.clear()
    monkeypatch.setattr(scoring, "_fit_trees",
                        lambda names, X_, y_, seed, voc: fits.extend((n, len(X_)) for n in names)
                        or real_fit(names, X_, y_, seed, voc))
    fit_version_scorer(None, X, y, Xv[:60], yv[:60], seed=2, members=("forest",))
    assert sorted(fits) == [("forest", len(X)), ("forest", len(X) + 60)]


def test_stored_tree_fields_are_read_in_parts_as_whole(tmp_path):
    """Fields of a trees archive are read a few rows at a time and converted as they go: the same
    arrays as reading them whole; a member shorter than its header is refused."""
    from hea_campaign.model.scoring import _read_as

    rng = np.random.default_rng(0)
    left = rng.integers(-1, 10**6, size=1000)
    values = rng.random((1000, 1, 2))
    np.savez(tmp_path / "t.npz", left=left, values=values)
    with np.load(tmp_path / "t.npz", allow_pickle=False) as archive:
        got = _read_as(archive, "left", np.int32, rows=7)
        assert got.dtype == np.int32 and np.array_equal(got, left)
        p = _read_as(archive, "values", np.float64, column=(0, 1), rows=7)
        assert np.array_equal(p, values[:, 0, 1])
    assert np.array_equal(_read_as({"values": values}, "values", np.float64, column=(0, 1)), values[:, 0, 1])
    import zipfile

    with zipfile.ZipFile(tmp_path / "t.npz") as z:
        raw = z.read("left.npy")
    with zipfile.ZipFile(tmp_path / "short.npz", "w") as z:
        z.writestr("left.npy", raw[:-8])
    with np.load(tmp_path / "short.npz", allow_pickle=False) as archive:
        try:
            _read_as(archive, "left", np.int32, rows=7)
        except ValueError as exc:
            assert "shorter" in str(exc)
        else:
            raise AssertionError("a truncated field was accepted")


def test_trees_files_of_both_formats_are_read_and_others_refused(tmp_path):
    """A store trained before forests were stored compact (format 1) keeps its trees; an archive
    whose key names another format or scikit-learn is not read."""
    import hashlib

    from hea_campaign.campaign import model_versions as mv

    X, y, Xv, _ = _rows(120)
    sc = fit_scorer(X, y, members=("forest", "boosting"), seed=3)
    for key, arrays, read in ((mv._trees_key("1"), _whole_tree_arrays(sc), True),
                              (mv._trees_key(), sc.tree_arrays(), True),
                              (mv._trees_key("9"), sc.tree_arrays(), False),
                              ("2|scikit-learn 0.0", sc.tree_arrays(), False)):
        path = tmp_path / "t.trees.npz"
        np.savez(path, key=np.array(key), **arrays)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        with mv._stored_trees(path, sha) as archive:
            assert (archive is not None) == read, key
            if read:
                again = Scorer.from_state(sc.state(), trees=archive)
                assert np.array_equal(again.predict_proba(Xv), sc.predict_proba(Xv))
