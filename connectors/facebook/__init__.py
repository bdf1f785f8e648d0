"""Facebook pages: the Graph API client, normalisation, connector and emulator."""
