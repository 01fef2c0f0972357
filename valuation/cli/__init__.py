"""python -m valuation …: one module per command family, wired together in main.py."""
