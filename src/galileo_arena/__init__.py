"""Galileo Arena: evaluates LLMs with an adversarial four-role debate per case and a scoring rubric."""
