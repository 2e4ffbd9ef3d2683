"""Phiacta: a knowledge backend of versioned claims, typed edges, provenance, reviews and search."""

__version__ = "0.1.0"
