"""The common interface of container readers, and the members they yield.

A reader turns a seekable stream of a container into ``Member`` objects::

    for member in reader.iter_members(stream, outer, limits, budget):
        if member.status == "ok" and member.kind == "file":
            with member.open() as data:
                ...

Stream contract: members come in archive order and each member's data can be
read **once, in order**: read member *i* fully (or not at all) and close it
before asking for member *i+1*. Streaming formats (tar, 7z solid blocks) cannot
go back, so a stream kept open past the next member is undefined.

Failure contract: ``iter_members`` never raises. Members listed before a
corruption stay; then one member of kind ``container`` (name ``""``) carries
status ``error`` or ``limit`` and the reason, and iteration ends. Reading a
member's data raises only :class:`LimitExceeded` or :class:`MemberReadError`
(both :class:`vigil.errors.SourceError`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO, ClassVar, Literal

from vigil.sources.archives.streams import MemberReadError, describe
from vigil.sources.limits import Budget, LimitExceeded, Limits
from vigil.sources.locator import Locator

MemberStatus = Literal["ok", "encrypted", "limit", "error", "unsupported", "skipped"]
MemberKind = Literal["file", "dir", "symlink", "hardlink", "special", "container"]


@dataclass(frozen=True, slots=True)
class Member:
    """One entry of a container, or (kind ``container``) a note about the container itself.

    ``name`` is the path exactly as stored, ``..`` and leading ``/`` included: it is
    a name only, nothing is ever extracted to it. ``size`` is the declared size.
    Status ``skipped`` marks links and special files (no data of their own).
    """

    locator: Locator
    name: str
    size: int | None = None
    compressed_size: int | None = None
    mtime: float | None = None
    kind: MemberKind = "file"
    status: MemberStatus = "ok"
    reason: str = ""
    link_target: str | None = None
    opener: Callable[[], BinaryIO] | None = field(default=None, repr=False, compare=False)

    @property
    def is_dir(self) -> bool:
        """True for a directory entry."""
        return self.kind == "dir"

    def open(self) -> BinaryIO:
        """A stream of this member's data that enforces the limits as bytes flow.

        Raises :class:`MemberReadError` when the member has no readable data
        (status other than ``ok``, a directory, a link) or cannot be opened.
        """
        if self.opener is None or self.status != "ok":
            label = self.name or self.locator.display()
            raise MemberReadError(f"{label}: no data to read ({self.status} {self.kind})")
        try:
            return self.opener()
        except (LimitExceeded, MemberReadError):
            raise
        except Exception as exc:
            raise MemberReadError(f"{self.name}: {describe(exc)}") from exc


@dataclass
class Scan:
    """What a reader needs while listing one container: where, which limits, names seen."""

    layer: str
    outer: Locator
    limits: Limits
    budget: Budget
    total_entries: int | None = None
    _seen: dict[str, int] = field(default_factory=dict)

    def locator(self, name: str, **attrs: Any) -> Locator:
        """The member's locator; a repeated name gets ``occurrence=n`` so keys stay unique."""
        count = self._seen.get(name, 0) + 1
        self._seen[name] = count
        occurrence = count if count > 1 else None
        return self.outer.child(self.layer, name, occurrence=occurrence, **attrs)

    def entry(
        self,
        name: str,
        *,
        opener: Callable[[], BinaryIO] | None = None,
        attrs: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Member:
        """A member, with status ``limit`` when its declared sizes already break a limit."""
        member = Member(self.locator(name, **(attrs or {})), name, opener=opener, **fields)
        if member.status == "ok" and member.kind == "file":
            reason = self.limits.check_declared(member.size, member.compressed_size)
            if reason is not None:
                return replace(member, status="limit", reason=reason, opener=None)
        return member

    def note(self, status: MemberStatus, reason: str) -> Member:
        """A note about the container as a whole (corruption, limits, no backend)."""
        locator = self.outer.child(self.layer, "")
        return Member(locator, "", kind="container", status=status, reason=reason)


class ContainerReader(ABC):
    """Reads one container format; subclasses set ``layer`` and write ``_members``."""

    layer: ClassVar[str]
    """The locator layer type this reader adds (``zip``, ``tar``, ``7z`` …)."""

    def iter_members(
        self, stream: BinaryIO, outer: Locator, limits: Limits, budget: Budget
    ) -> Iterator[Member]:
        """Yield the members of the container in ``stream`` (seekable), never raising.

        ``outer`` is the container's own locator; members get ``outer.child(layer, name)``.
        """
        scan = Scan(self.layer, outer, limits, budget)
        if outer.depth >= limits.max_depth:
            yield scan.note("limit", f"nested deeper than {limits.max_depth} containers")
            return
        members = self._members(stream, scan)
        listed = 0
        try:
            for member in members:
                if member.kind != "container":
                    if listed >= limits.max_entries:
                        yield scan.note("limit", _unlisted(scan, listed))
                        return
                    listed += 1
                yield member
        except LimitExceeded as exc:
            yield scan.note("limit", exc.reason)
        except Exception as exc:
            # Parsers of hostile data fail in many ways (struct.error, EOFError,
            # IndexError …); each becomes a reason, never a crashed batch.
            yield scan.note("error", describe(exc))
        finally:
            if isinstance(members, Generator):
                members.close()  # let the reader release its files now, not at GC

    @abstractmethod
    def _members(self, stream: BinaryIO, scan: Scan) -> Iterator[Member]:
        """Yield members; may raise (the caller turns it into a note)."""


def _unlisted(scan: Scan, listed: int) -> str:
    limit = scan.limits.max_entries
    if scan.total_entries is not None:
        return f"{scan.total_entries - listed} more entries not listed (limit {limit} per archive)"
    return f"further entries not listed (limit {limit} per archive)"
