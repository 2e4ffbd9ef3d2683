"""Pytest fixtures for the kit's real components, shared by every service's tests."""
