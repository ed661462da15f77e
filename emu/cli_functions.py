"""``emu functions [PATTERN] [--dll DLL] [--json]``: what emu models, by Windows name.

One entry per function, as an engineer looks it up: the name (with its ANSI and Unicode forms
when Windows has both: ``CreateEvent`` stands for ``CreateEventA`` and ``CreateEventW``), the
DLL that exports it, the C prototype (the first line of the function's docstring, as the
Microsoft page writes it), whether a user-mode program or a driver calls it, and the catalogue
properties that concern it. ``PATTERN`` is a case-insensitive substring, or a shell-style
pattern when it holds ``*``, ``?`` or ``[`` (``Notify*``, ``*Ex``); ``NotifyServiceStatusChangeW``
finds its family. A function that is not listed is not modelled: calling it raises
``UnsupportedApi``.
"""

from __future__ import annotations

import argparse
import fnmatch
import inspect
import json
import sys
from dataclasses import dataclass

KERNEL_DLL = "ntoskrnl"


@dataclass(frozen=True, slots=True)
class FunctionEntry:
    """One modelled function family."""

    name: str  # the family name: CreateEvent, NotifyServiceStatusChange, SleepEx
    forms: tuple[str, ...]  # every exported name: CreateEvent, CreateEventA, CreateEventW
    dll: str
    prototype: str
    mode: str  # "user" or "kernel"
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
                mode="kernel" if spec.dll == KERNEL_DLL else "user",
                properties=tuple(concern.get(family, ())),
            )
        )
    return out


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
        help="only the functions of this DLL: kernel32, advapi32, ntoskrnl (default: every DLL)",
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
        mode = "driver (kernel mode)" if entry.mode == "kernel" else "user mode"
        print(f"{entry.name}{forms}  [{entry.dll}; {mode}]")
        print(f"  {entry.prototype}")
        if entry.properties:
            print(f"  properties: {', '.join(entry.properties)}")
    count = len(found)
    print(f"{count} function{'s' if count != 1 else ''}")
    return 0
