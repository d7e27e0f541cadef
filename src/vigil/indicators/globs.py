"""Case-insensitive path and name globs (``*``, ``?``, ``[…]``, ``**``) compiled to regexes.

Evidence comes from Windows, macOS, Linux and Android alike, so matching
ignores case and treats ``\\`` as ``/``. A path glob that does not start with
``/`` matches at any depth: ``AppData/Roaming/uTorrent/**`` is read as
``**/AppData/Roaming/uTorrent/**``. A trailing ``/**`` also matches the folder
itself.
"""

from __future__ import annotations

import re

_SPECIAL = set("*?[")


class GlobError(ValueError):
    """A glob that cannot be compiled (empty, unbalanced ``[``)."""


def normalise(path: str) -> str:
    """A path as globs see it: ``/`` separators, lower case."""
    return path.replace("\\", "/").lower()


def _component(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = text.find("]", i + 2 if text[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end < 0:
                raise GlobError(f"unbalanced '[' in {text!r}")
            body = text[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def compile_path_glob(glob: str) -> re.Pattern[str]:
    """A regex that fully matches normalised paths the glob names."""
    text = normalise(glob.strip())
    if not text or text == "/":
        raise GlobError("empty glob")
    anchored = text.startswith("/")
    parts = text.strip("/").split("/")
    pieces: list[str] = [] if anchored else ["(?:.*/)?"]
    if anchored:
        pieces.append("/")
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            if last:
                # "a/**" covers a itself and all below it: drop the "/" just emitted.
                if pieces and pieces[-1] == "/":
                    pieces.pop()
                pieces.append("(?:/.*)?")
            else:
                pieces.append("(?:.*/)?")
            continue
        pieces.append(_component(part))
        if not last:
            pieces.append("/")
    return re.compile("".join(pieces), re.DOTALL)


def compile_name_glob(glob: str) -> re.Pattern[str]:
    """A regex that fully matches lower-cased file names the glob names."""
    text = glob.strip().lower()
    if not text:
        raise GlobError("empty glob")
    if "/" in text or "\\" in text:
        raise GlobError(f"a name glob has no folders: {glob!r} (use 'path')")
    return re.compile(_component(text), re.DOTALL)


def literal_components(glob: str) -> list[str]:
    """The glob's folder/file components that hold no wildcard (lower case)."""
    parts = normalise(glob).strip("/").split("/")
    return [p for p in parts if p and not (_SPECIAL & set(p))]


def name_key(glob: str) -> tuple[str, str] | None:
    """An index key for a name glob: ``("name", n)`` if literal, ``("ext", e)`` for ``*.e``."""
    text = glob.strip().lower()
    if not (_SPECIAL & set(text)):
        return ("name", text)
    stem, dot, ext = text.rpartition(".")
    if dot and stem and ext and not (_SPECIAL & set(ext)):
        return ("ext", ext)
    return None
