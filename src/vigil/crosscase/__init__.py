"""Across cases: linkage, first seen and new material, trends with k-anonymity.

Everything here reads the summary tables the scan keeps current
(``case_hash``, ``case_link``, ``case_trend``; see :mod:`vigil.crosscase.refresh`),
never the item table, so a request costs the same for ten cases or a thousand.
"""
