"""The `lspbot` command line: `main` builds the parser from each area's `add_parsers`."""

from bot.cli.main import main

__all__ = ["main"]
