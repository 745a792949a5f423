"""model layer of hea-campaign."""
