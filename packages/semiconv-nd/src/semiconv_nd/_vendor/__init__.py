"""Committed copies of the monorepo's shared helpers (see tools/vendoring.py); never edit them here."""
