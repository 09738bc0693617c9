"""bounty."""
