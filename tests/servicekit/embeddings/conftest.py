from servicekit.testing.embeddings import *  # noqa: F403
