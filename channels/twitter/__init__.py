"""X (Twitter) direct messages (tweepy): Account Activity webhook or DM polling in, v2 DMs out."""
