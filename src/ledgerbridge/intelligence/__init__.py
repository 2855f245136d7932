"""Learning from the ledger's own history: categorization, anomalies, cash forecast."""
