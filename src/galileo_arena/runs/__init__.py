"""Runs: evaluation requests, their execution, results, summaries and live events."""
