"""Glyph Lab benchmarks (issue 5): each prints one JSON object with its figures and ratios.

``python -m bench`` runs them all (each in its own process) and writes ``bench/RESULTS.md``;
``python -m bench --quick`` runs a reduced version of each in seconds.
"""
