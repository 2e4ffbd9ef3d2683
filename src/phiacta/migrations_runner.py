"""Phiacta's Alembic runner: the kit's, plus the embedding width the first migration needs."""

from __future__ import annotations

from alembic.config import Config

from servicekit.db import Migrations

MIGRATIONS_PACKAGE = "phiacta.migrations"


class PhiactaMigrations(Migrations):
    """``claims.embedding`` is created as ``vector(embedding_dimensions)``."""

    def __init__(self, url: str, *, embedding_dimensions: int) -> None:
        super().__init__(MIGRATIONS_PACKAGE, url)
        self.embedding_dimensions = embedding_dimensions

    def config(self) -> Config:
        cfg = super().config()
        cfg.attributes["embedding_dimensions"] = self.embedding_dimensions
        return cfg
