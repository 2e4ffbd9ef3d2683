"""Galileo Arena's pure core: case and verdict shapes, the scoring rubric, metrics, comparisons.

Nothing here does IO or imports a web or database framework; it is exercised by worked examples.
"""
