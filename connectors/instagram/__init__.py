"""The Instagram connector: Graph API (default) or instaloader mode."""
