"""Full garbage collections run while nobody types, never in the middle of drawing (idle_collector)."""

from __future__ import annotations

import gc

from hea_campaign.tui.app import idle_collector
from hea_campaign.tui.app.idle_collector import NO_AUTOMATIC_PASS, IdleCollector

from .test_snapshots import fixed_store  # noqa: F401  (seed dataset + model version + six candidates)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeApp:
    def __init__(self):
        self.timers = []

    def set_interval(self, interval, callback, name=None):
        timer = type("Timer", (), {"stopped": False, "stop": lambda self: setattr(self, "stopped", True)})()
        self.timers.append((interval, callback, timer))
        return timer


def test_full_passes_wait_for_a_quiet_moment_and_the_thresholds_come_back(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(idle_collector.time, "monotonic", clock)
    passes = []
    real_collect = gc.collect
    monkeypatch.setattr(idle_collector.gc, "collect", lambda *a: passes.append(clock.now) or 0)
    before = gc.get_threshold()
    collector = IdleCollector(FakeApp(), every=10.0, quiet=2.0)
    collector.start()
    try:
        assert gc.get_threshold() == (before[0], before[1], NO_AUTOMATIC_PASS)  # no automatic full pass
        clock.now += 5
        assert not collector.tick() and passes == []  # too soon after the last pass
        clock.now += 6
        collector.input_seen()
        clock.now += 1
        assert not collector.tick()  # a key a second ago
        clock.now += 1.5
        assert collector.tick() and passes == [clock.now]
        clock.now += 3
        assert not collector.tick()  # within EVERY of that pass
    finally:
        collector.stop()
        monkeypatch.setattr(idle_collector.gc, "collect", real_collect)
    assert gc.get_threshold() == before
    assert collector.app.timers[0][2].stopped
    assert not collector.tick()  # stopped: never again


def test_a_user_who_never_pauses_still_gets_a_full_pass(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(idle_collector.time, "monotonic", clock)
    monkeypatch.setattr(idle_collector.gc, "get_count", lambda: (0, 0, idle_collector.BACKSTOP))
    ran = []
    monkeypatch.setattr(idle_collector.gc, "collect", lambda *a: ran.append(1) or 0)
    collector = IdleCollector(FakeApp())
    collector.start()
    try:
        collector.input_seen()
        assert collector.tick() and ran == [1]
    finally:
        collector.stop()


async def test_the_app_turns_automatic_full_passes_off_while_it_runs_and_back_on(fixed_store):  # noqa: F811
    from hea_campaign.tui.app import CampaignApp

    before = gc.get_threshold()
    app = CampaignApp(fixed_store, actor="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert gc.get_threshold()[2] == NO_AUTOMATIC_PASS
        seen = app.collector.last_input
        await pilot.press("c")
        assert app.collector.last_input > seen  # a key counts as input
    assert gc.get_threshold() == before

