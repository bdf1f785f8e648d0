"""`python -m somed` runs the command line."""

from somed.cli import main

if __name__ == "__main__":  # not when a `somed web` worker process (spawned) imports it
    main()
