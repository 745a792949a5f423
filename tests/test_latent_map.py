"""The latent map places each candidate where its proposal placed it and its flags were judged."""

from __future__ import annotations

import numpy as np

from hea_campaign.campaign.latent_map import latent_map
from hea_campaign.campaign.proposals import ProposalRequest, propose
from hea_campaign.campaign.read_models import candidates_with_ids


def test_the_map_places_candidates_with_the_head_s_p(trained_store):
    """The encoder is conditioned on the SSVAE head's p for the training alloys and the flags; the map
    conditioned candidates on the scorer's p, so a candidate sat elsewhere than its flags said."""
    propose(trained_store, ProposalRequest(mode="invert", from_multi_phase=3, inversion="proximal"), by="tester")
    m = latent_map(trained_store)
    assert m.candidate_ids
    stored = np.array([c.latent_z for c in candidates_with_ids(trained_store, m.candidate_ids)])
    np.testing.assert_allclose(m.candidates, stored, atol=1e-4)
    assert m.dims == 2  # the whole latent space of the default model: the axes are z1 and z2
