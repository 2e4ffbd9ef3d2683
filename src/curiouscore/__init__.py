"""CuriousCore: gamified learning on an event-sourced game engine with an LLM Game Master."""

__version__ = "1.0.0"
