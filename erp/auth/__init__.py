"""Identity: users, roles, sessions (bearer tokens and web cookies), login throttling."""
