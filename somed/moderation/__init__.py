"""Moderation flags on incoming items: pure detectors (`detectors`), scanning (`scan`).

Importing this package loads nothing heavy: the config imports its category names.
"""
