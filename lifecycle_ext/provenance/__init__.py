"""Provenance capture for tracked cells: source analysis, seeds, configs, environment, creation records.

Pure Python (standard library, plus numpy/torch only when the user already imported them); nothing here
imports IPython, so the same code serves the ``%%track`` magic and ``reg.reproduce``.
"""
