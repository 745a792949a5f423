"""The latent map's axes say what they are: the SSVAE's first two latent dimensions (it had no axis labels)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hea_campaign.tui.app import CampaignApp

from .test_app import wait_for
from .test_screen_fit import screen_lines
from .test_snapshots import fixed_store  # noqa: F401


@pytest.mark.sqlite_only("drawn from a copy of the SQLite seed file")
async def test_the_latent_map_labels_both_axes_at_80x24(fixed_store):  # noqa: F811
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.panes_ready.wait()
        await pilot.press("m")
        await wait_for(pilot, lambda: "training alloys" in str(app.query_one("#map-caption").render()))
        await pilot.pause()
        lines = screen_lines(app)
        assert any("z1: latent dimension 1 →" in line for line in lines), "\n".join(lines)
        assert any("↑ z2: latent dimension 2" in line for line in lines), "\n".join(lines)
        assert any("latent space of model v1 (encoder means)" in line for line in lines), "\n".join(lines)


def test_a_model_with_more_latent_dimensions_says_which_two_are_drawn():
    from hea_campaign.tui.present.plots import latent_axis_labels

    assert latent_axis_labels(SimpleNamespace(dims=8)) == ("z1: latent dimension 1 of 8", "z2: latent dimension 2 of 8")
    assert latent_axis_labels(SimpleNamespace(dims=2)) == ("z1: latent dimension 1", "z2: latent dimension 2")
