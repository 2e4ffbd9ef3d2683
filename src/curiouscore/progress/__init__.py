"""Progress and rewards: XP ledger, levels, badges, leaderboard and the dashboard figures."""
