"""Typed, directed edges between exact claim versions, under the edge-type registry's rules."""
