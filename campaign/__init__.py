"""campaign layer of hea-campaign."""
