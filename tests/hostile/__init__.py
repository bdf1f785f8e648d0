"""Hostile platform servers for the hardening tests: loopback servers whose answers tests decide.

`server.HostileServer` is the platform-neutral part (routes, request log, drip and redirect
answers); one module per platform serves that platform's wire format from raw JSON the test
plants (`graph.HostileGraph` for Facebook). They are test code, not the demo emulators: they do
what a misbehaving or malicious platform would, on purpose.
"""
