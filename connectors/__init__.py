"""Platform connectors: they know the platforms and nothing about storage."""
