"""tui layer of hea-campaign."""
