"""`python -m ccat` runs the command line."""

from ccat.cli import main

main()
