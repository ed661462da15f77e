"""Build an IntEnum from module-level integer constants.

The code tables are written once, as plain module constants (``STATUS_TIMEOUT: Final = 0x102``),
because the hot paths compare plain ints and users import the names the headers use. The enum
built here from the same constants is what the API boundary and the renderers use to print a
value by name (``NTSTATUS(0x102).name == "STATUS_TIMEOUT"``).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


def enum_from_constants(
    enum_name: str, namespace: dict[str, Any], names: tuple[str, ...]
) -> type[IntEnum]:
    """An IntEnum whose members are ``names`` with their values from ``namespace``.

    The first name given for a value is the canonical one (later names become aliases), so the
    order of ``names`` decides how a value prints.
    """
    members = [(name, int(namespace[name])) for name in names]
    return IntEnum(enum_name, members)  # type: ignore[return-value]


def member_table(enum: type[IntEnum]) -> dict[int, IntEnum]:
    """value -> canonical member, for a cheap conversion at the API boundary."""
    table: dict[int, IntEnum] = {}
    for member in enum:
        table.setdefault(int(member), member)
    return table


def public_names(namespace: dict[str, Any], prefixes: tuple[str, ...]) -> tuple[str, ...]:
    """The module constants whose names start with one of ``prefixes``, in definition order."""
    return tuple(
        name
        for name, value in namespace.items()
        if name.startswith(prefixes) and isinstance(value, int) and not isinstance(value, bool)
    )
