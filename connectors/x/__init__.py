"""X (Twitter): the API v2 client through tweepy, normalisation, connector and emulator."""
