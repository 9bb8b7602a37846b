"""`python -m bot.cli`: the `lspbot` command line."""

import sys

from bot.cli.main import main

sys.exit(main())
