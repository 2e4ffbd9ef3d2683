"""Root of the test suite: the kit's fixtures, registered once for every package's tests."""

pytest_plugins = [
    "servicekit.testing.database",
    "servicekit.testing.app",
    "servicekit.testing.auth",
    "servicekit.testing.browser",
    "servicekit.testing.embeddings",
    "servicekit.testing.jobs",
    "servicekit.testing.llm",
]
