"""Galileo Arena datasets: the packaged JSON files and the loader that validates them."""
