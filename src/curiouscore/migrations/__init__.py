"""CuriousCore's Alembic environment (its own database and history)."""
