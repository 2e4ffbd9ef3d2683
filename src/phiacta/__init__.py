"""Phiacta: a knowledge backend of versioned claims, typed edges, provenance, reviews and search."""
