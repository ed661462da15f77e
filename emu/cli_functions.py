"""What emu models, by Windows name: ``emu functions`` and ``emu properties``.

``emu functions [PATTERN] [--dll DLL] [--json]``:
One entry per function, as an engineer looks it up: the name (with its ANSI and Unicode forms
when Windows has both: ``CreateEvent`` stands for ``CreateEventA`` and ``CreateEventW``), the
DLL that exports it, the C prototype (the first line of the function's docstring, as the
Microsoft page writes it), whether a user-mode program or a driver calls it, and the catalogue
properties that concern it. ``PATTERN`` is a case-insensitive substring, or a shell-style
pattern when it holds ``*``, ``?`` or ``[`` (``Notify*``, ``*Ex``); ``NotifyServiceStatusChangeW``
finds its family. A function that is not listed is not modelled: calling it raises
``UnsupportedApi``.

``emu properties [--api NAME] [--json]``: the property catalogue with quoted sentences. ``--api``
takes a function's plain, A or W name alike (``NotifyServiceStatusChange``, ``...A``, ``...W``:
one family, ``emu.win32.base.api_family``); a modelled function no property concerns lists none
(exit 0); a name emu does not model is exit 2 with the nearest modelled names.
"""

from __future__ import annotations

import argparse
import fnmatch
import inspect
import json
import sys
from dataclasses import dataclass

from emu.errors import printable

KERNEL_DLL = "ntoskrnl"
BOTH_MODES_DLL = "netio"
"""netio.sys for drivers (NTSTATUS) and iphlpapi.dll for applications (Win32 codes)."""
MODES = {"kernel": "driver (kernel mode)", "user": "user mode", "both": "drivers and user mode"}


@dataclass(frozen=True, slots=True)
class FunctionEntry:
    """One modelled function family."""

    name: str  # the family name: CreateEvent, NotifyServiceStatusChange, SleepEx
    forms: tuple[str, ...]  # every exported name: CreateEvent, CreateEventA, CreateEventW
    dll: str
    prototype: str
    mode: str  # "user", "kernel" or "both"
    properties: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "forms": list(self.forms),
            "dll": self.dll,
            "prototype": self.prototype,
            "mode": self.mode,
            "properties": list(self.properties),
        }


def _prototype(name: str) -> str:
    """The C prototype from the function's docstring (its first sentence, up to the ``;``)."""
    from emu.win32.api import Api
    from emu.win32.ntoskrnl import Ntoskrnl

    function = getattr(Api, name, None) or getattr(Ntoskrnl, name, None)
    doc = inspect.getdoc(function) or ""
    head = " ".join(doc.split("\n\n", 1)[0].split())
    return head.split(";", 1)[0] + ";" if ";" in head else head


def entries() -> list[FunctionEntry]:
    """Every modelled function family, by name."""
    import emu.win32.ntoskrnl  # noqa: F401 - registers every export, user and kernel mode
    from emu.properties.catalogue import properties
    from emu.win32.base import API_SPECS, api_family

    families: dict[str, list[str]] = {}
    for name in sorted(API_SPECS):
        families.setdefault(api_family(name), []).append(name)
    concern: dict[str, list[str]] = {}
    for entry in properties():
        for api in entry.apis:
            ids = concern.setdefault(api_family(api), [])
            if entry.id not in ids:
                ids.append(entry.id)
    out: list[FunctionEntry] = []
    for family in sorted(families):
        forms = tuple(families[family])
        unicode_form = f"{family}W" if f"{family}W" in forms else forms[0]
        spec = API_SPECS[unicode_form]
        out.append(
            FunctionEntry(
                name=family,
                forms=forms,
                dll=spec.dll,
                prototype=_prototype(unicode_form),
                mode=_mode(spec.dll),
                properties=tuple(concern.get(family, ())),
            )
        )
    return out


def _mode(dll: str) -> str:
    if dll == KERNEL_DLL:
        return "kernel"
    return "both" if dll == BOTH_MODES_DLL else "user"


def matching(pattern: str | None, dll: str | None = None) -> list[FunctionEntry]:
    """The entries whose name or forms match ``pattern`` (and come from ``dll``)."""
    found = entries()
    if dll:
        found = [e for e in found if e.dll.lower() == dll.lower().removesuffix(".dll")]
    if not pattern:
        return found
    wanted = pattern.lower()
    glob = any(c in wanted for c in "*?[")

    def hit(name: str) -> bool:
        low = name.lower()
        return fnmatch.fnmatchcase(low, wanted) if glob else wanted in low

    return [e for e in found if any(hit(n) for n in (e.name, *e.forms))]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    functions = commands.add_parser(
        "functions",
        help="list the Windows functions emu models, with prototypes and properties",
        description="List the Windows functions emu models: the DLL, the C prototype, user or "
        "kernel mode, and the catalogue properties that concern each. A function that is not "
        "listed raises UnsupportedApi when a program calls it.",
    )
    functions.add_argument(
        "pattern",
        nargs="?",
        default=None,
        metavar="PATTERN",
        help="a case-insensitive substring, or a pattern with * ? [ ] (default: every function)",
    )
    functions.add_argument(
        "--dll",
        default=None,
        help="only the functions of this DLL: kernel32, advapi32, ws2_32, ntoskrnl, netio "
        "(default: every DLL)",
    )
    functions.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    functions.set_defaults(handler=functions_command)


def functions_command(args: argparse.Namespace) -> int:
    found = matching(args.pattern, args.dll)
    if not found:
        what = f"matching {args.pattern!r}" if args.pattern else ""
        where = f" in {args.dll}" if args.dll else ""
        print(
            f"no modelled function {what}{where} (emu functions lists them all); a function "
            "emu does not model raises UnsupportedApi when called",
            file=sys.stderr,
        )
        return 2
    if args.json:
        print(json.dumps([e.as_json() for e in found], indent=1, ensure_ascii=False))
        return 0
    for entry in found:
        others = [f for f in entry.forms if f != entry.name]
        forms = f" ({', '.join(others)})" if others else ""
        mode = MODES[entry.mode]
        print(f"{entry.name}{forms}  [{entry.dll}; {mode}]")
        print(f"  {entry.prototype}")
        if entry.properties:
            print(f"  properties: {', '.join(entry.properties)}")
    count = len(found)
    print(f"{count} function{'s' if count != 1 else ''}")
    return 0


def add_properties(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``emu properties``."""
    props = commands.add_parser(
        "properties",
        help="list the property catalogue with its quoted sentences",
        description="List the property catalogue: every guarantee, client rule, liveness rule, "
        "hazard and assumption emu checks, with its kind, how it is checked, its source "
        "(docs/sources.md) and the sentence it comes from (docs/rules.md).",
    )
    props.add_argument(
        "--api",
        default=None,
        metavar="NAME",
        help="only the properties that concern this function; its plain, A and W names alike "
        "(NotifyServiceStatusChange, ...A, ...W); a name emu does not model is an error "
        "(default: every property)",
    )
    props.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    props.set_defaults(handler=properties_command)


def properties_command(args: argparse.Namespace) -> int:
    from emu.properties.catalogue import for_api, properties

    if args.api:
        known = api_names()
        if args.api not in known:
            print(
                f"emu properties: --api {printable(args.api)}: not a function emu models"
                f"{nearest(args.api, known)} (emu functions lists them)",
                file=sys.stderr,
            )
            return 2
    entries = for_api(args.api) if args.api else properties()
    if args.json:
        rows = [
            {
                "id": p.id,
                "kind": p.kind,
                "apis": list(p.apis),
                "source": p.source,
                "sentence": p.sentence,
                "profiles": list(p.profiles),
                "checked": "inline" if p.inline else "post-hoc",
                "note": p.note,
            }
            for p in entries
        ]
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    for p in entries:
        how = "inline" if p.inline else "post-hoc checker"
        print(f"{p.id}  [{p.kind}; {how}]")
        if p.apis:
            print(f"  APIs: {', '.join(p.apis)}")
        print(f"  source: {p.source}")
        if p.sentence:
            print(f'  "{p.sentence}"')
        if p.note:
            print(f"  note: {p.note}")
        if p.profiles:
            print(f"  profiles: {', '.join(p.profiles)}")
        print()
    count = len(entries)
    print(f"{count} propert{'y' if count == 1 else 'ies'}{concerning(args.api, count)}")
    return 0


def concerning(api: str | None, count: int) -> str:
    """`` concern NotifyServiceStatusChange (its forms: ...A, ...W)`` for the count line."""
    if not api:
        return ""
    from emu.win32.base import API_SPECS, api_family

    family = api_family(api)
    forms = sorted(name for name in API_SPECS if api_family(name) == family and name != family)
    verb = "concerns" if count == 1 else "concern"
    return f" {verb} {family}" + (f" (its forms: {', '.join(forms)})" if forms else "")


def api_names() -> set[str]:
    """Every name ``--api`` accepts: each modelled export, the plain name of an A/W pair
    (``CreateEvent``), and every API a catalogue entry names."""
    import emu.win32.ntoskrnl  # noqa: F401 - registers every export, user and kernel mode
    from emu.properties.catalogue import properties
    from emu.win32.base import API_SPECS, api_family

    names = set(API_SPECS) | {api_family(name) for name in API_SPECS}
    for entry in properties():
        names.update(entry.apis)
    return names


def nearest(word: str, names: set[str], count: int = 3) -> str:
    """`` (did you mean 'A', 'B'?)``: the closest names, case ignored, else empty."""
    import difflib

    lowered: dict[str, str] = {}
    for name in sorted(names):
        lowered.setdefault(name.lower(), name)
    from emu.win32.base import api_family

    close = difflib.get_close_matches(word.lower(), list(lowered), n=3 * count, cutoff=0.6)
    families: list[str] = []
    for found in close:  # one name per function: CreateEvent, not its A and W forms too
        family = api_family(lowered[found])
        if family not in families:
            families.append(family)
    if not families:
        return ""
    return f" (did you mean {', '.join(repr(f) for f in families[:count])}?)"
