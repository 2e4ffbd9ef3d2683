"""Evidence: the supports / contradicts / corroborates chains leading into a claim."""
