"""db layer of hea-campaign."""
