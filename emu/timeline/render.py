"""The readable timeline: one line per event, virtual time, actor, and what happened.

Codes print by name (``WAIT_IO_COMPLETION``, ``ERROR_INVALID_HANDLE``, ``STATUS_TIMEOUT``), as
an engineer reading a debugger log would expect; each API call prints as C would write it, with
the last error it set when it failed. No Python repr reaches the reader: a null value prints as
``NULL``, a tuple of values as ``{a, b}`` (a C initializer), a structure's initial fields as
``field = value`` pairs, a choice's option by its words (``thread main``), CPU time as a
duration, and counts with their plurals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from emu.codes.ntstatus import ntstatus_name
from emu.codes.wait import INFINITE, wait_result_name
from emu.codes.winerror import win32_error_name
from emu.kernel.time import format_ticks
from emu.kernel.trace import TRACE_KINDS, Trace, TraceEvent
from emu.timeline.argnames import arg_name
from emu.win32.base import API_SPECS, BOOL, DWORD_WAIT, HANDLE, SLEEP_RESULT, VOID, WIN32_ERROR


def format_result(api: str, result: Any) -> str:
    """An API's return value by name, according to its return convention."""
    spec = API_SPECS.get(api)
    returns = spec.returns if spec is not None else ""
    if not isinstance(result, int) or isinstance(result, bool):
        return _arg(result)
    if returns == BOOL:
        return "TRUE" if result else "FALSE"
    if returns == HANDLE:
        return f"0x{result:X}" if result else "NULL"
    if returns == DWORD_WAIT or (returns == SLEEP_RESULT and result):
        return wait_result_name(result)
    if returns == WIN32_ERROR:
        return win32_error_name(result)
    if returns == "NTSTATUS":
        return ntstatus_name(result)
    if returns == "NETIO_STATUS":  # NTSTATUS in kernel mode, a Win32 error in user mode
        if result == 0:
            return "STATUS_SUCCESS"  # = NO_ERROR: NETIO_SUCCESS in both modes
        return ntstatus_name(result) if result >= 0x40000000 else win32_error_name(result)
    return str(result)


def _arg(value: Any, param: str = "", handles: dict[int, str] | None = None, api: str = "") -> str:
    """An argument as C source would show it, guided by the Hungarian parameter name: the
    constants the headers name for it (``emu.timeline.argnames``); with ``handles``, a handle
    prints as the name of the object it refers to."""
    if value is None:
        return "NULL"
    if isinstance(value, (list, tuple)):
        inner = param[2:] if param.startswith("lp") else param
        return "{" + ", ".join(_arg(v, inner, handles, api) for v in value) + "}"
    if isinstance(value, str):
        return f'"{value}"' if param.startswith(("lp", "psz")) and param.endswith("Name") else value
    if isinstance(value, bool) or (param[:1] == "b" and param[1:2].isupper()):
        return "TRUE" if value else "FALSE"
    if not isinstance(value, int):
        return str(value)
    if _is_handle(param):
        if handles is not None and value in handles:
            return handles[value]
        return f"0x{value:X}" if value else "NULL"
    if param == "dwMilliseconds" and value == INFINITE:
        return "INFINITE"
    named = arg_name(api, param, value)
    if named is not None:
        return named
    if "Access" in param or "Flags" in param:
        return f"0x{value:X}"
    return str(value)


def _is_handle(param: str) -> bool:
    return (
        (param[:1] == "h" and param[1:2].isupper())
        or param in ("Handles", "FileHandle", "NotificationHandle")
        or param.endswith("CompletionPort")
    )


def _api(event: TraceEvent) -> str:
    return describe_call(event)


def describe_call(event: TraceEvent, handles: dict[int, str] | None = None) -> str:
    """An ``api`` event as C would write the call, its result by name and the last error it
    set; with ``handles``, handles (arguments and a returned handle) by object name."""
    p = event.payload
    name = str(p["name"])
    spec = API_SPECS.get(name)
    params = spec.params if spec is not None else ()
    values = p["args"]
    args = ", ".join(
        _arg(v, params[i] if i < len(params) else "", handles, name) for i, v in enumerate(values)
    )
    text = f"{name}({args})"
    if spec is None or spec.returns != VOID:
        result = p["result"]
        if (
            handles is not None
            and spec is not None
            and spec.returns == HANDLE
            and isinstance(result, int)
            and result in handles
        ):
            text += f" -> {handles[result]}"
        else:
            text += f" -> {format_result(name, result)}"
    if p["error"] is not None:
        text += f"  [last error {win32_error_name(int(p['error']))}]"
    return text


def _timeout(ticks: Any) -> str:
    return "INFINITE" if ticks is None else format_ticks(int(ticks))


def _wait(event: TraceEvent) -> str:
    p = event.payload
    how = "alertable " if p["alertable"] else ""
    on = event.objects[1:]
    if not on:
        return f"sleeps {how}for {_timeout(p['timeout'])}"
    mode = "all of" if p["wait_all"] and len(on) > 1 else "on"
    return f"waits {how}{mode} {', '.join(on)} for {_timeout(p['timeout'])}"


def _wake(event: TraceEvent) -> str:
    return f"{event.objects[0]} wakes: {ntstatus_name(int(event.payload['status']))}"


def words(value: Any) -> str:
    """A payload value as the timeline prints it: ``NULL`` for None, ``TRUE``/``FALSE``, a
    tuple as a C initializer ``{a, b}``, anything else as its text."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, tuple):
        return "{" + ", ".join(words(v) for v in value) + "}"
    return str(value)


def _fill(event: TraceEvent, **changes: Any) -> str:
    """The kind's own text (docs/trace.md), its payload values in words (``words``; numbers
    and text as they are, so the template's format specifications still apply), with
    ``changes`` in place of payload values."""
    values: dict[str, Any] = {f"o{i}": name for i, name in enumerate(event.objects)}
    values["objects"] = ", ".join(event.objects)
    for key, value in event.payload.items():
        plain = isinstance(value, (int, str)) and not isinstance(value, bool)
        values[key] = value if plain else words(value)
    values.update(changes)
    schema = TRACE_KINDS.get(event.kind)
    if schema is not None:
        try:
            return schema.text.format(**values)
        except (KeyError, IndexError, ValueError):
            pass
    fields = ", ".join(f"{key} {words(value)}" for key, value in event.payload.items())
    return f"{event.kind}: {fields}" if fields else event.kind


def _with_status(event: TraceEvent) -> str:
    """The kind's own text, with its NTSTATUS printed by name."""
    return _fill(event, status=ntstatus_name(int(event.payload["status"])))


def _scm_fire(event: TraceEvent) -> str:
    """A fired SCM request: the state for a service handle, the names for an SCM handle."""
    p = event.payload
    text = f"request #{p['request']} fires: {p['code']}, triggered {p['bits']}"
    if p.get("state"):
        text += f", state {p['state']}"
    names = p.get("names")
    if names:
        text += f", names {', '.join(str(n) for n in names)}"
    return text


def plural(count: int, noun: str) -> str:
    """``1 processor``, ``2 processors``, ``0 processors``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _cpu_work(event: TraceEvent) -> str:
    p = event.payload
    busy = plural(int(p["busy"]), "processor")
    return f"{event.objects[0]} works for {format_ticks(int(p['ticks']))} ({busy} busy)"


def _cpu_done(event: TraceEvent) -> str:
    busy = plural(int(event.payload["busy"]), "processor")
    return f"{event.objects[0]} finished its work ({busy} busy)"


def _mem_init(event: TraceEvent) -> str:
    """``ran holds value = 0``: a structure's fields as the program initialised them."""
    pairs = event.payload["values"]
    fields = ", ".join(f"{pair[0]} = {words(pair[1])}" for pair in pairs)
    return f"{event.objects[0]} holds {fields or 'no fields'}"


def option_words(key: Any) -> str:
    """A choice's option key in words: ``('thread', 'main')`` is ``thread main``."""
    if isinstance(key, tuple):
        return " ".join(option_words(part) for part in key)
    return words(key)


def _choice(event: TraceEvent) -> str:
    """``choice sched Sleep: thread main (#0 of 2)``: the point, what was chosen, its index
    in the schedule's terms (0 is the least surprising option) and how many there were."""
    p = event.payload
    return (
        f"choice {p['point']} {p['label']}: {option_words(p['key'])} "
        f"(#{p['index']} of {p['options']})"
    )


def _apc(event: TraceEvent) -> str:
    """An APC's routine with its argument as C passes it: a completion routine's three
    arguments without braces (``on_read(0, 5, client.ov)``)."""
    data = event.payload["data"]
    if isinstance(data, tuple):
        return _fill(event, data=", ".join(words(v) for v in data))
    return _fill(event)


def _blocked(event: TraceEvent) -> str:
    on = ", ".join(event.objects[1:]) or "nothing (a sleep, a dequeue or a suspension)"
    return f"{event.objects[0]} is still blocked at the end ({event.payload['state']}) on {on}"


def _driver_load(event: TraceEvent) -> str:
    status = ntstatus_name(int(event.payload["status"]))
    return f"DriverEntry of {event.payload['driver']} returns {status}"


FORMATTERS: dict[str, Callable[[TraceEvent], str]] = {
    "api": _api,
    "thread.wait": _wait,
    "thread.wake": _wake,
    "io.complete": _with_status,
    "iocp.post": _with_status,
    "iocp.dequeue": _with_status,
    "driver.load": _driver_load,
    "actor.blocked": _blocked,
    "cpu.work": _cpu_work,
    "cpu.done": _cpu_done,
    "mem.init": _mem_init,
    "choice": _choice,
    "apc.queue": _apc,
    "apc.deliver": _apc,
    "scm.fire": _scm_fire,
}


def describe(event: TraceEvent) -> str:
    """One event in words."""
    return FORMATTERS.get(event.kind, _fill)(event)


HIDDEN_BY_DEFAULT = frozenset({"actor.state", "choice", "mem.read", "mem.init"})


def render_timeline(
    trace: Trace,
    *,
    verbose: bool = False,
    kinds: Iterable[str] | None = None,
    limit: int | None = None,
) -> str:
    """The timeline as text: ``time  actor  description`` per event.

    Bookkeeping (state flips, choices, structure creation and reads) is hidden unless ``verbose``;
    ``kinds`` limits the output to the given event kinds. With ``limit``, a longer timeline
    keeps its first tenth and its end (where a runaway was stopped, where the violations are)
    and says how many lines it left out; only the lines shown are built, so a run stopped by
    its event budget prints in a moment.
    """
    wanted = set(kinds) if kinds is not None else None
    raw = trace.events
    # A structure's creation is bookkeeping too: its mem.init says it was created.
    structures = {e[3][0] for e in raw if e[2] == "mem.init"}
    shown: list[int] = []
    for index, event in enumerate(raw):
        kind = event[2]
        if wanted is not None:
            if kind not in wanted:
                continue
        elif not verbose and (
            kind in HIDDEN_BY_DEFAULT or (kind == "obj.create" and event[3][0] in structures)
        ):
            continue
        shown.append(index)
    left_out = 0
    head = len(shown)
    if limit is not None and len(shown) > limit:
        head = max(1, limit // 10)
        left_out = len(shown) - limit
        shown = shown[:head] + shown[head + left_out :]
    names = trace.names()
    rows: list[tuple[str, str, str]] = []
    for index in shown:
        view = TraceEvent.from_tuple(index, raw[index], names)
        rows.append((format_ticks(view.time), view.actor, describe(view)))
    if not rows:
        return ""
    time_width = max(len(r[0]) for r in rows)
    actor_width = max(len(r[1]) for r in rows)
    lines = [f"{t:>{time_width}}  {a:<{actor_width}}  {d}".rstrip() for t, a, d in rows]
    if left_out:
        lines.insert(
            head,
            f"{'':>{time_width}}  ... {left_out:,} more lines not shown (emu trace FILE prints "
            "them all)",
        )
    return "\n".join(lines)
