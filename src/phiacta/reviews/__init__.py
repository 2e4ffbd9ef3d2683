"""Reviews: one current verdict per reviewer per claim (an upsert that keeps its history)."""
