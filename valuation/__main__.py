"""Entry point for ``python -m valuation``."""

import sys

from valuation.cli.main import main

sys.exit(main())
