"""Root of the test suite: shared fixtures come from ``servicekit.testing``."""

pytest_plugins = ["servicekit.testing.database"]
