"""The game engine: pure state machine, events, grading and rewards (no IO, no framework)."""
