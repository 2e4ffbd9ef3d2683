"""Galileo Arena: evaluate LLMs with an adversarial four-role debate and a scoring rubric."""

__version__ = "1.0.0"
