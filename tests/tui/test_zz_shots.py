import io, os
import pytest
from rich.console import Console
from hea_campaign.tui.app import CampaignApp
from .test_snapshots import fixed_store, _steady  # noqa

def text_of(app):
    w, h = app.size
    console = Console(width=w, height=h, file=io.StringIO(), force_terminal=True, color_system="truecolor", record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)

SHOTS = os.environ.get("SHOTS", "d").split(",")

@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_shots(fixed_store, size):
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=size) as pilot:
        _steady(app)
        await pilot.pause(0.5)
        for keys in SHOTS:
            for k in keys.split("+"):
                await pilot.press(k)
            await pilot.pause(1.5)
            print(f"===== {size} {keys} focused={app.focused!r}")
            print(text_of(app))
