"""Sources: the real-world origins (papers, recordings, datasets...) claims are extracted from."""
