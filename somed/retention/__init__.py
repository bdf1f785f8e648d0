"""Retention (gallring): the plan of what the rules dispose of, and applying a reviewed plan."""
