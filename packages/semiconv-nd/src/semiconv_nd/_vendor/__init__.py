"""Committed copies of the monorepo's shared helpers (see tools/vendoring.py).

Never edit them here: edit ``shared/`` at the repository root and run ``nox -s vendor``.
"""
