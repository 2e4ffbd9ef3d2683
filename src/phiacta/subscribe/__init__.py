"""``WS /v1/subscribe``: live events, filtered per subscriber, resumable by event id."""
