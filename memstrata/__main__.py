"""`python -m memstrata` runs the CLI."""

from memstrata.cli.main import main

main()
