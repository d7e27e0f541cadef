"""Which match algorithms are near (perceptual) and which exact: no imports, cheap to use.

The court counting reads this as well as the matcher, and ``vigil case list``
must not pay for numpy and Pillow to know it.
"""

from __future__ import annotations

PERCEPTUAL = frozenset({"pdq", "vpdq"})
"""Algorithms of near matches (a picture's or a frame's PDQ, a video's vPDQ); others are exact."""
