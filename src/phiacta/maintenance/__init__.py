"""Periodic upkeep: embed what has no (or an outdated) vector, expire old pending references
and stored bundle answers. Idempotent; run by ``suite phiacta maintain`` (e.g. from cron)."""
