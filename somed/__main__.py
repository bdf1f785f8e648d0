"""`python -m somed` runs the command line."""

from somed.cli import main

main()
