"""Oyl: a multi-tenant RAG platform of AI teammates with document ingestion and cited answers."""

__version__ = "0.1.0"
