"""Where an actor is in its program: the position a run that ends by a limit reports.

A run stopped by the step limit or a budget (``emu.kernel.dispatcher``) names what kept it
going: the thread, the function it was in and the program position that called it. The
position is read from the actor's generators, never recorded on the hot path:

- a thread that is running (the step limit is met inside an API call) is seen through the
  Python frames between the dispatcher and the check (``live_frames``);
- a thread that is parked (in a wait whose timer keeps virtual time advancing) through its
  suspended generators: the nest stack (``Actor.stack``) and the ``yield from`` chain of each
  (``suspended_frames``).

``describe`` names the innermost frame of a program (a module outside ``emu``) as
``module:function line N``, and the function it called (the frame just inside it), for
example ``thread main in Sleep at programs:spin line 12``. A layer above the kernel may pass
a ``locate`` function that reads a position from frames of its own (the scenario layer reads
the ``file:line:column`` of a compiled step); the innermost frame either way is the one named.
Positions never name a file by its path, so the message in the trace is the same from any
directory.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emu.kernel.actor import Actor

Frames = Sequence[tuple[FrameType, int]]
"""Frames with the line each is at, outermost first."""

Locate = Callable[[FrameType], "tuple[str, str] | None"]
"""Reads ``(function called, position)`` from one frame, or None: a layer above the kernel
knows frames of its own that hold a position (the scenario layer's compiled steps)."""


def suspended_frames(actor: Actor) -> list[tuple[FrameType, int]]:
    """The frames of a parked actor, outermost first: its nest stack, then ``body``."""
    found: list[tuple[FrameType, int]] = []
    for gen in (*actor.stack, actor.body):
        current: Any = gen
        while current is not None:
            frame = getattr(current, "gi_frame", None)
            if frame is None:
                break
            found.append((frame, frame.f_lineno))
            current = getattr(current, "gi_yieldfrom", None)
    return found


def live_frames(stop: CodeType) -> list[tuple[FrameType, int]]:
    """The frames of the running actor, outermost first: the caller's callers up to (not
    including) the frame running ``stop`` (the dispatcher's step)."""
    found: list[tuple[FrameType, int]] = []
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code is not stop:
        found.append((frame, frame.f_lineno))
        frame = frame.f_back
    if frame is None:  # not called under the dispatcher: nothing of a program to show
        return []
    found.reverse()
    return found


def _module(frame: FrameType) -> str:
    name = frame.f_globals.get("__name__")
    return name if isinstance(name, str) else "?"


def program_position(frames: Frames, locate: Locate | None = None) -> tuple[str, str] | None:
    """``(function called, position)`` of the innermost frame that is a program's: one
    ``locate`` reads, or one of a module outside emu (``module:function line N``, the function
    it called being the frame just inside it). None if no frame is."""
    for index in range(len(frames) - 1, -1, -1):
        frame, line = frames[index]
        if locate is not None:
            found = locate(frame)
            if found is not None:
                return found
        module = _module(frame)
        if module == "emu" or module.startswith("emu."):
            continue
        called = frames[index + 1][0].f_code.co_name if index + 1 < len(frames) else ""
        return called, f"{module}:{frame.f_code.co_qualname} line {line}"
    return None


def describe(actor: Actor, frames: Frames, locate: Locate | None = None) -> str:
    """``thread main in Sleep at loop.yaml:5:9``: the actor, the function, the position."""
    found = program_position(frames, locate)
    text = f"{actor.KIND} {actor.name}"
    if found is None:
        return text
    called, where = found
    if called:
        text += f" in {called}"
    return f"{text} at {where}"


def callable_name(fn: Callable[..., Any]) -> str:
    """A callback by its qualified name, never its address."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    return str(name) if name else type(fn).__name__
