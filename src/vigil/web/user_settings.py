"""Each officer's own settings of the review app, kept in the store (``user_settings``).

One row per (user, name). Every name is declared once in :data:`SETTINGS` with its
default and the check its value must pass, so a setting an officer never touched
reads as its default, and nothing unknown or malformed is stored. The grading keys
live here (WCAG 2.1.4: an officer can turn single-key shortcuts off or remap them);
other per-officer settings (blur strength, thumbnail size, break rhythm) are one
more :class:`Setting` each, with no change to the table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, select

from vigil.errors import VigilError
from vigil.store.schema import user_settings


class SettingError(VigilError):
    """A setting with a name no one declared, or a value its check refuses."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its name in the store, its default, and what it is for people."""

    name: str
    default: str
    label: str
    check: Callable[[str], str]
    """Returns the value as stored (normalised) or raises SettingError."""


KEY_ACTIONS: dict[str, tuple[str, str]] = {
    "grade_A": ("a", "Grade A"),
    "grade_B": ("b", "Grade B"),
    "grade_C": ("c", "Grade C"),
    "grade_not_indecent": ("n", "Grade not indecent"),
    "grade_uncategorised": ("u", "Grade uncategorised"),
    "skip": ("s", "Skip to the next group"),
    "undo": ("z", "Undo your last grade"),
    "undo_alt": ("Backspace", "Undo your last grade (second key)"),
    "reveal": ("Space", "Reveal while held"),
    "help": ("?", "Show the key map"),
}
"""Grading action → (default key, what it does). The page binds exactly these."""

NAMED_KEYS = ("Space", "Backspace", "Enter", "Delete")
"""Keys named by a word (what ``KeyboardEvent.key`` says, Space for " ")."""


def check_key(value: str) -> str:
    """One key: a printable character (letters lower-cased), a named key, or "" for none."""
    if value == " ":
        return "Space"
    value = value.strip()
    if value == "":
        return ""
    for named in NAMED_KEYS:
        if value.lower() == named.lower():
            return named
    if len(value) == 1 and value.isprintable():
        return value.lower()
    raise SettingError(f"{value!r} is not one key: give one character, or one of {NAMED_KEYS}")


def check_on_off(value: str) -> str:
    """``on`` or ``off``."""
    value = value.strip().lower()
    if value not in ("on", "off"):
        raise SettingError(f"{value!r} is neither on nor off")
    return value


SETTINGS: dict[str, Setting] = {
    "keys.enabled": Setting("keys.enabled", "on", "Grading keys", check_on_off),
    **{
        f"key.{action}": Setting(f"key.{action}", default, label, check_key)
        for action, (default, label) in KEY_ACTIONS.items()
    },
}
"""Every per-officer setting, by name."""


def _setting(name: str) -> Setting:
    found = SETTINGS.get(name)
    if found is None:
        raise SettingError(f"no setting named {name!r}")
    return found


def load(conn: Connection, user_id: int) -> dict[str, str]:
    """Every setting of the user: what they set, else the default."""
    values = {name: s.default for name, s in SETTINGS.items()}
    rows = conn.execute(
        select(user_settings.c.name, user_settings.c.value).where(
            user_settings.c.user_id == user_id
        )
    )
    for name, value in rows:
        if name in SETTINGS:  # a setting since retired is ignored, not an error
            values[name] = value
    return values


def save(conn: Connection, user_id: int, changes: Mapping[str, str]) -> dict[str, str]:
    """Check and store ``changes`` (a value equal to the default removes the row).

    Returns the user's settings after the change. Two grading actions may not share
    a key: the page could not tell which was meant.
    """
    checked = {name: _setting(name).check(value) for name, value in changes.items()}
    after = {**load(conn, user_id), **checked}
    _refuse_shared_keys(after)
    now = datetime.now(UTC)
    for name, value in checked.items():
        conn.execute(
            delete(user_settings).where(
                user_settings.c.user_id == user_id, user_settings.c.name == name
            )
        )
        if value != SETTINGS[name].default:
            conn.execute(
                user_settings.insert().values(user_id=user_id, name=name, value=value, set_at=now)
            )
    return after


def key_map(values: Mapping[str, str]) -> dict[str, str]:
    """Grading action → key, from a user's settings; empty when keys are turned off."""
    if values.get("keys.enabled", "on") != "on":
        return {}
    return {
        action: values.get(f"key.{action}", default)
        for action, (default, _label) in KEY_ACTIONS.items()
        if values.get(f"key.{action}", default)
    }


def _refuse_shared_keys(values: Mapping[str, str]) -> None:
    seen: dict[str, str] = {}
    for action, key in key_map(values).items():
        if key in seen:
            first, second = KEY_ACTIONS[seen[key]][1], KEY_ACTIONS[action][1]
            raise SettingError(f"the key {key} is given twice: to {first!r} and to {second!r}")
        seen[key] = action
