"""Full-screen views pushed over the tabs: the candidate detail."""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from hea_campaign.model.descriptors import DESCRIPTOR_UNITS
from hea_campaign.tui.present.formulas import path_lines


def bar(value: float, scale: float, width: int = 30, char: str = "█") -> str:
    n = int(round(width * min(abs(value) / scale, 1.0))) if scale > 0 else 0
    return char * n


def render_detail(d) -> str:
    c = d.candidate
    lines = [
        f"[b]Candidate {c.id}[/b]  {d.formula}   status [b]{c.status}[/b]   model v{c.model_version_id}   "
        f"proposal run {c.proposal_run_id}   origin {c.origin}",
        *([f"[b]Reason[/b] for {c.status}: {escape(c.status_reason)}"] if c.status_reason else []),
        f"p(single phase) [b]{c.p_single:.3f}[/b]"
        + (f"   from {d.start_formula}" if d.start_formula else "")
        + (f"   change {c.change_at_pct:.1f} at.%" if c.change_at_pct is not None else "")
        + (f" in {c.steps} step(s)" if c.steps is not None else ""),
        "",
        "[b]Composition[/b] (at.%)",
    ]
    for el, f in sorted(d.composition.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {el:>2} {100 * f:5.1f} [cyan]{bar(f, 1.0, 40)}[/]")
    lines += ["", "[b]Flags[/b]"]
    lines += [f"  [yellow]{f['flag']}[/]: {f['reason']}" for f in c.flags] or ["  none"]
    lines += ["", "[b]Descriptors[/b] against the labelled training range"]
    for name, v in d.descriptors.items():
        lo, hi = d.training_range[name]
        where = (v - lo) / (hi - lo) if hi > lo else 0.5
        pos = int(round(max(0.0, min(1.0, where)) * 29))
        track = "".join("●" if i == pos else "─" for i in range(30))
        warn = "  [red]outside[/]" if not lo - 1e-9 <= v <= hi + 1e-9 else ""
        lines.append(f"  {name:>6} {v:10.3f} {DESCRIPTOR_UNITS[name]:<10} {lo:9.3f} {track} {hi:.3f}{warn}")
    if d.shap:
        scale = max(abs(v) for v in d.shap.values()) or 1.0
        lines += ["", "[b]SHAP contributions[/b] to p(single phase)"]
        for name, v in sorted(d.shap.items(), key=lambda kv: -abs(kv[1])):
            color = "green" if v >= 0 else "red"
            lines.append(f"  {name:>6} {v:+.3f} [{color}]{bar(v, scale, 30)}[/]")
    lines += ["", "[b]Latent position[/b] z = (" + ", ".join(f"{z + 0.0:.2f}".replace("-0.00", "0.00") for z in c.latent_z) + ")"]
    lines.append("  " + ", ".join(f"{k} {v:.3g}" for k, v in c.uncertainty.items()))
    if c.path:
        lines += ["", "[b]Inversion path[/b]"]
        lines += path_lines(c.path)
    return "\n".join(lines)


class CandidateScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("s", "save_shap", "SHAP PNG")]

    def __init__(self, candidate_id: int):
        super().__init__()
        self.candidate_id = candidate_id
        self.detail = None

    def action_save_shap(self) -> None:
        d = self.detail
        if d is None or not d.shap:
            self.notify("The SHAP values are still being computed.", severity="warning")
            return
        self.app.save_plot("shap", d.candidate.model_version_id, payload=(d.formula, d.shap))

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(can_focus=True):
            yield Static(f"Loading candidate {self.candidate_id} (computing SHAP)...", id="detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def load(self):
        from hea_campaign.campaign.candidates import candidate_detail

        detail = candidate_detail(self.app.store, self.candidate_id)
        self.app.call_from_thread(self.query_one("#detail", Static).update, render_detail(detail))
        self.detail = detail
        return detail

    def on_worker_state_changed(self, event) -> None:
        self.app.handle_worker_event(event)
