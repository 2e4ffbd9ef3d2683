"""Agents (who acts) and their API keys: created, shown once, rotated, revoked."""
