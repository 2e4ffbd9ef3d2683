"""Challenges: the public catalogue, admin authoring, versions, seed content, prompt checks."""
