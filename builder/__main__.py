"""`python -m builder` is the `dockless` command."""

from builder.cli import main

main()
