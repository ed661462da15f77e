"""The property catalogue: every documented guarantee, client rule, liveness rule, hazard and
assumption emu checks, with the sentence it comes from.

Each entry has an id ``<subsystem>.<rule>``, a kind, the APIs it concerns, its source (a
Microsoft page, a fact, a conformance test or an emu rule, each listed in docs/sources.md) and
the exact sentence, the behaviour profiles it depends on, and how it is checked:

- **inline**: the kernel records a ``violation`` event with the entry's id while the run
  happens (a wait at DISPATCH_LEVEL is a bug check: it can only be seen then). Such an entry is
  *exercised* when one of its ``exercised_by`` APIs was called or event kinds occurred (or,
  for a scenario check, when a ``scenario.check`` event names it: the check ran);
- **post-hoc**: a ``Checker`` reads the finished trace, fed only the event kinds it declares.

Kinds: a **guarantee** is something the system promises (a violation means emu is wrong); a
**client rule** is something the program must do (a violation is a bug in the user's
program, what users hunt for); **liveness** is "nothing lost, nothing stuck"; a **hazard** is
legal but dangerous; a **scenario check** is the scenario's own ``expect:``/``assert:``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from emu.properties.checker import Checker

GUARANTEE: Final = "guarantee"
CLIENT_RULE: Final = "client rule"
LIVENESS: Final = "liveness"
HAZARD: Final = "hazard"
SCENARIO_CHECK: Final = "scenario check"
KINDS: Final = (GUARANTEE, CLIENT_RULE, LIVENESS, HAZARD, SCENARIO_CHECK)


@dataclass(frozen=True, slots=True)
class Property:
    """One catalogue entry."""

    id: str
    kind: str
    apis: tuple[str, ...]
    source: str
    sentence: str
    checker: type[Checker] | None = None
    exercised_by: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    note: str = ""

    @property
    def inline(self) -> bool:
        return self.checker is None

    @property
    def subsystem(self) -> str:
        return self.id.split(".", 1)[0]


CATALOGUE: dict[str, Property] = {}
"""Every property, by id; subsystems register theirs at import."""

_GENERATION = [0]  # bumped by every change to CATALOGUE: what the verdict's plans are built on
_LOADED = [False]


def register(*entries: Property) -> None:
    for entry in entries:
        if entry.kind not in KINDS:
            raise ValueError(f"{entry.id}: unknown kind {entry.kind!r}")
        if entry.id in CATALOGUE:
            raise ValueError(f"{entry.id} is registered twice")
        if entry.checker is None and not entry.exercised_by:
            raise ValueError(f"{entry.id}: an inline property says what exercises it")
        CATALOGUE[entry.id] = entry
        _GENERATION[0] += 1


def unregister(*property_ids: str) -> None:
    """Remove entries (tests that register a subsystem of their own clean up with it)."""
    for property_id in property_ids:
        del CATALOGUE[property_id]
        _GENERATION[0] += 1


def generation() -> int:
    """A number that changes whenever an entry is registered or removed (after loading the
    catalogue): what is derived from the catalogue may be kept while it stays the same."""
    _load()
    return _GENERATION[0]


def properties() -> list[Property]:
    """The catalogue in id order (the order reports and verdicts use)."""
    _load()
    return [CATALOGUE[key] for key in sorted(CATALOGUE)]


def lookup(property_id: str) -> Property | None:
    _load()
    return CATALOGUE.get(property_id)


def for_api(name: str) -> list[Property]:
    """The properties that concern ``name`` or another form of it: ``CreateEvent``,
    ``CreateEventA`` and ``CreateEventW`` are one function (``api_family``)."""
    from emu.win32.base import api_family  # noqa: PLC0415 - registered by _load()

    entries = properties()
    family = api_family(name)
    return [p for p in entries if any(api_family(api) == family for api in p.apis)]


def ids(entries: Iterable[Property]) -> list[str]:
    return [entry.id for entry in entries]


def _load() -> None:
    """Import the modules that register entries (once; imports are cached), and the API
    surface, whose modules declare the places where they deliver APCs
    (``emu.kernel.apc_sites``), which the checkers read."""
    if _LOADED[0]:
        return
    import emu.win32  # noqa: F401, PLC0415
    from emu.properties import (  # noqa: F401, PLC0415
        io_checks,
        kernel_checks,
        kernel_rules,
        run_end,
    )
    from emu.properties.netio import (  # noqa: F401, PLC0415
        client as netio_client,
    )
    from emu.properties.netio import (  # noqa: F401, PLC0415
        guarantees,
        liveness,
        race,
    )
    from emu.properties.netio import (  # noqa: F401, PLC0415
        rules as netio_rules,
    )
    from emu.properties.peerdist import (  # noqa: F401, PLC0415
        client as peerdist_client,
    )
    from emu.properties.peerdist import (  # noqa: F401, PLC0415
        guarantees as peerdist_guarantees,
    )
    from emu.properties.peerdist import (  # noqa: F401, PLC0415
        rules as peerdist_rules,
    )
    from emu.properties.scm import checks, client, rules  # noqa: F401, PLC0415
    from emu.properties.sockets import (  # noqa: F401, PLC0415
        contexts,
        delivery,
        lifecycle,
        loop,
        overlapped,
    )

    _LOADED[0] = True  # only once every module registered (a failed import is raised again)
