"""Bank statements and feeds: every common statement format, one importer protocol."""
