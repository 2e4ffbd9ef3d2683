"""Playing challenges: sessions, their event log and snapshots, and the Game Master's LLM calls."""
