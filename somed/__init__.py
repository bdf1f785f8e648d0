"""somed: archive a public body's official social media accounts as public records."""

__version__ = "0.1.0"
