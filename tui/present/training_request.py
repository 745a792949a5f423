"""Training settings as typed, checked the same way for `train`/`retrain` and the TUI's Retrain tab."""

from __future__ import annotations

from dataclasses import dataclass

from hea_campaign.campaign.errors import CampaignError

from .checks import integer, is_blank, number, seed as check_seed

MAX_EPOCHS = 100_000
PRIOR_R_RANGE = (0.01, 0.99)


@dataclass(frozen=True)
class TrainingRequest:
    """What one training run is asked for; None keeps the model's own default."""

    seed: int = 0
    epochs: int | None = None
    prior_r: float | None = None

    @property
    def config_overrides(self) -> dict | None:
        """The model settings this request changes (None: the defaults)."""
        return None if self.prior_r is None else {"prior_r": self.prior_r}


CLI_NAMES = ("--seed", "--epochs", "--prior-r")
FORM_NAMES = ("seed", "max epochs", "prior r")  # the Retrain tab's labels


def training_request(seed=0, epochs=None, prior_r=None, names: tuple[str, str, str] = CLI_NAMES) -> TrainingRequest:
    """Check seed, epochs and prior r as typed (a form's text or the CLI's numbers); blank means default.
    ``names`` are what errors call the three (the CLI's options, or the form's labels)."""
    return TrainingRequest(
        seed=0 if is_blank(seed) else check_seed(seed, names[0]),
        epochs=None if is_blank(epochs) else integer(epochs, names[1], lo=1, hi=MAX_EPOCHS),
        prior_r=None if is_blank(prior_r) else number(prior_r, names[2], lo=PRIOR_R_RANGE[0],
                                                       hi=PRIOR_R_RANGE[1]),
    )


def check_force(force: bool, activate: bool) -> None:
    """``--force`` acts only on an activation: alone it would train a version and leave it inactive
    while the person believes it was forced in (a review found both commands silent about it)."""
    if force and not activate:
        raise CampaignError("--force only acts with --activate (it activates even a version that compares worse); "
                            "nothing was trained: add --activate, or activate a version later with "
                            "hea-campaign activate N")
