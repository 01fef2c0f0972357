"""Entry point for ``python -m valuation``."""

import sys

from valuation.cli import main

sys.exit(main())
