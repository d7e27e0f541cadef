"""Indicators: concealment, downloading, storage and sharing traces, from editable rules.

Two halves, split where the bytes are:

* the scan worker computes cheap per-item *facts* (:mod:`.facts`: entropy and
  chi-square of unidentified files, data appended after an image, encrypted
  volume and document markers, parsed browser and P2P artefacts) and stores them
  in ``item.attrs["facts"]``;
* after the scan, the *engine* (:mod:`.engine`) evaluates the YAML rule sets
  (:mod:`.loader`, shipped in ``rules/`` and extendable from
  ``$VIGIL_HOME/rules``) over the run's items and writes ``finding`` rows.

Where things are: rules and their validation (``model``, ``loader``,
``match_spec``, ``globs``), named content checks (``checks``), byte-level
checks (``entropy``, ``content``), artefact parsers (``browsers`` with
``sqlite_copy``, ``emule``, ``bencode``, ``torrents``, ``ed2k``), linking
records to scanned items (``linking``), hits to findings (``grouping``),
reading findings back (``findings``).
"""
