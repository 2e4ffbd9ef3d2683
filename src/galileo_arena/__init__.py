"""Galileo Arena: evaluates LLMs with an adversarial four-role debate and a scoring rubric."""
