"""Microsoft Teams: the bot (Agents SDK), its auth, Adaptive Cards, conversation references and digests."""
