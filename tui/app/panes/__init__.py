"""The tabs of the campaign cockpit."""
