"""Values of ``alloy.source`` the campaign gives meaning to, in a module light enough for ``status``."""

PROPOSAL_SOURCE = "proposal"  # alloys the model proposed; "proposal..." until a lab result exists
