"""Names and units of the physics descriptors, for front ends that show them (they never import model/)."""

from hea_campaign.model.descriptor_names import DESCRIPTOR_UNITS

__all__ = ["DESCRIPTOR_UNITS"]
