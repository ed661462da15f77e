"""Nested routines: an APC inside an alertable wait inside an APC, on the actor's own stack.

"If you perform an alertable wait inside an APC, it will recursively dispatch the APCs"
(QueueUserAPC, MS docs): a thread's stack grows by one APC frame per level, and Windows bounds
it only by the thread's stack size. emu runs every program as a generator; if each level were
driven with ``yield from``, each would add Python frames to every resume, and about 150
levels would end in RecursionError.

So a routine the system calls on an actor runs *nested*: kernel code yields
``Nest(routine_generator)`` instead of ``yield from``. The ``Nest`` passes up the ``yield
from`` chain to the dispatcher, which pushes the generator it was resuming (``actor.body``)
onto ``actor.stack`` and resumes the routine in its place (``run_nested``). When the routine
returns, the generator below resumes with the value; when it raises (ExitThread's
``ThreadExit``, a program's exception, an emulator error), the exception is thrown into the
generator below, exactly as ``yield from`` would deliver either. Each level is one entry of a
list, so the depth is bounded by the run's budgets (``emu.kernel.limits``), never by
Python's recursion limit, and a resume costs the same at any depth.

The dispatcher's common step (a generator that parks) never comes here: only a yielded
``Nest``, or a routine that returns or raises with generators below it, takes this path. And
the first ``INLINE_DEPTH`` levels of APC delivery still run inline with ``yield from``: a
nested routine's return reaches the dispatcher as a StopIteration, a Python exception that
costs a few microseconds more than the ``yield from`` handing-back (measured: the benchmark's
one-level APC round trip ran 15-20% slower), and nearly every program nests one or two
levels. The inline levels add a bounded number of frames (about eight a level), so the Python
stack stays far from its limit at any depth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from emu.errors import ProgramError
from emu.kernel.actor import PARK, ActorBody

if TYPE_CHECKING:
    from emu.kernel.actor import Actor


INLINE_DEPTH: Final = 8
"""APC delivery levels run inline (``yield from``) before nesting on the actor's stack."""


class Nest:
    """Yielded by kernel code to run ``body`` on the current actor as a nested routine.

    The ``yield`` returns the routine's return value, or raises what the routine raised, as
    ``yield from body`` would. The dispatcher takes ``body`` (and clears it), so only the
    actor's stack refers to the routine: no chain of references from one level to the next.
    """

    __slots__ = ("body",)

    def __init__(self, body: ActorBody) -> None:
        self.body: ActorBody | None = body


class Returned:
    """A nested routine returned ``value``: the generator below resumes with it."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Raised:
    """A nested routine raised ``error``: it is thrown into the generator below."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def run_nested(actor: Actor, yielded: Any, now: int) -> None:
    """Resume ``actor`` until it parks, given what its ``body`` just yielded, or how it ended
    (``Returned``, ``Raised``) with generators below it.

    A ``Nest`` pushes ``body`` and runs the routine in its place; a ``Returned`` or ``Raised``
    pops the generator below and resumes it with the value or the exception. What the bottom
    generator raises propagates to the dispatcher (StopIteration: the program returned); a
    value a program yields of its own is a ProgramError (``now``: the time for its message).

    A routine's return is caught as StopIteration and only its value is kept: holding the
    exception would tie its traceback to this frame in a reference cycle, which the paused
    garbage collector would leave for later (measured: it doubled the cost of a delivery).
    """
    stack = actor.stack
    resume: Callable[[Any], Any]
    arg: Any
    while True:
        kind = type(yielded)
        if kind is Nest:
            stack.append(actor.body)
            gen = actor.body = yielded.body
            yielded.body = None
            resume, arg = gen.send, None
        elif kind is Returned:
            gen = actor.body = stack.pop()
            resume, arg = gen.send, yielded.value
        elif kind is Raised:
            gen = actor.body = stack.pop()
            resume, arg = gen.throw, yielded.error
        elif yielded is PARK:
            return
        else:
            raise ProgramError(
                f"thread {actor.name} yielded {yielded!r}; a program calls the API with "
                "`yield from api.Name(...)` and never yields values of its own",
                thread=actor.name,
                time=now,
            )
        yielded = None  # nothing of the last round outlives it (an exception: no cycle)
        try:
            yielded = resume(arg)
        except StopIteration as stop:
            if not stack:
                raise
            yielded = Returned(stop.value)
        except BaseException as exc:
            if not stack:
                raise
            yielded = Raised(exc)
