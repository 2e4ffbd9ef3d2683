"""Accounts: registration, login with rotating refresh tokens, profile, roles."""
