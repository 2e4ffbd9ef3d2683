"""Alembic history of Phiacta's database."""
