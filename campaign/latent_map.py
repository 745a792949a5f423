"""Where alloys and candidates sit in the active model's latent space."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hea_campaign.db import store as q

from .chemistry import FormulaError, parse_formula
from .model_versions import get_version, load_version
from .proposals import reference_for
from .store import CampaignStore
from .uncertainty import head_scorer, latent_density


@dataclass
class LatentMap:
    version_id: int
    single: np.ndarray  # (n, 2) latent means of labelled single-phase training alloys
    multi: np.ndarray  # (m, 2) ... multi-phase
    candidates: np.ndarray  # (k, 2) every candidate placed by this version's encoder
    candidate_ids: list[int]
    candidate_formulas: list[str]
    candidate_status: list[str]
    unplaced: int  # candidates with elements this version cannot encode
    low_density: np.ndarray  # (g, 2) grid points whose density is below the flag threshold
    extent: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax
    dims: int = 2  # the model's latent dimensions; the map plots the first two (z1, z2), encoder means


def latent_map(store: CampaignStore, grid: int = 40) -> LatentMap:
    version = get_version(store)
    model, X, y = load_version(version)
    ref = reference_for(version, model, X, y)
    z = ref.latent[:, :2]
    with store.read() as session:
        everything = q.candidates_with_formulas(session, store.campaign_id)
    # every candidate, whichever version proposed it, placed by this version's encoder conditioned on the head's
    # p, as the training alloys and the flags' latent points are (not on the scorer's p, which ranks)
    rows, vectors = [], []
    for c, f in everything:
        try:
            vectors.append(parse_formula(f).vector(model.vocabulary))
        except (FormulaError, KeyError, ValueError):
            continue
        rows.append((c, f))
    if rows:
        X_c = np.array(vectors)
        cz = model.encode(X_c, head_scorer(model)(X_c))[0][:, :2]
    else:
        cz = np.zeros((0, 2))
    pts = np.concatenate([z, cz]) if len(cz) else z
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.1 * (hi - lo + 1e-9)
    lo, hi = lo - pad, hi + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid))
    g = np.stack([gx.ravel(), gy.ravel()], axis=1)

    if ref.latent.shape[1] == 2:
        dens = latent_density(g, ref.latent, ref.bandwidth)
        low = g[dens < ref.density_threshold]
    else:
        low = np.zeros((0, 2))
    return LatentMap(
        version_id=version.id,
        single=z[y == 1],
        multi=z[y == 0],
        candidates=cz,
        candidate_ids=[c.id for c, _ in rows],
        candidate_formulas=[f for _, f in rows],
        candidate_status=[c.status for c, _ in rows],
        unplaced=len(everything) - len(rows),
        low_density=low,
        extent=(float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])),
        dims=int(ref.latent.shape[1]),
    )
