"""Who is calling: users (GitHub or local accounts), login tokens and personal API tokens."""
