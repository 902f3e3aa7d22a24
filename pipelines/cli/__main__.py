"""`python -m pipelines.cli`: the `gcrisk` command."""

from pipelines.cli import main

main()
