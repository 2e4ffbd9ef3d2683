"""Claim confidence, computed from reviews at query time and never stored (spec §7.5)."""
