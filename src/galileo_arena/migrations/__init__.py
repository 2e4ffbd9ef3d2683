"""Alembic history of Galileo Arena's database."""
