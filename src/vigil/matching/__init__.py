"""Matching: exact digest lookup and PDQ near-duplicate search against hash sets.

* :class:`ExactIndex` — MD5 / SHA-1 / SHA-256 → entry ids (sorted, memory-mapped).
* :class:`PdqIndex` — exact PDQ search within a Hamming threshold (multi-index
  hashing over memory-mapped segments; add, delete, compact in the background).
* :class:`BruteForcePdqIndex` — the plain scan that the fast index must equal.
* ``pdq_gpu.GpuPdqIndex`` — optional, with the ``gpu`` extra (imported on use).
* ``library_pdq.pdq_searcher`` — the hash library's PDQ entries, searchable; the
  on-disk index follows library changes incrementally (``library_sync``) and is
  compacted in a process of its own (``compactor``).

Errors derive from :class:`MatchIndexError` (a :class:`vigil.errors.VigilError`).
"""

from vigil.matching._arrays import MATCH_DTYPE, PDQ_THRESHOLD
from vigil.matching._store import MatchIndexError
from vigil.matching.exact_index import EXACT_MATCH_DTYPE, ExactIndex, digests_from_hex
from vigil.matching.pdq_bruteforce import BruteForcePdqIndex
from vigil.matching.pdq_index import PdqIndex

__all__ = [
    "EXACT_MATCH_DTYPE",
    "MATCH_DTYPE",
    "PDQ_THRESHOLD",
    "BruteForcePdqIndex",
    "ExactIndex",
    "MatchIndexError",
    "PdqIndex",
    "digests_from_hex",
]
