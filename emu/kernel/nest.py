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
``Nest``, or a routine that returns or raises with generators below it, takes this path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emu.errors import ProgramError
from emu.kernel.actor import PARK, ActorBody

if TYPE_CHECKING:
    from emu.kernel.actor import Actor


class Nest:
    """Yielded by kernel code to run ``body`` on the current actor as a nested routine.

    The ``yield`` returns the routine's return value, or raises what the routine raised, as
    ``yield from body`` would. The dispatcher takes ``body`` (and clears it), so only the
    actor's stack refers to the routine: no chain of references from one level to the next.
    """

    __slots__ = ("body",)

    def __init__(self, body: ActorBody) -> None:
        self.body: ActorBody | None = body


class Raised:
    """A nested routine ended with ``error`` (StopIteration: it returned)."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def run_nested(actor: Actor, yielded: Any, now: int) -> None:
    """Resume ``actor`` until it parks, given what its ``body`` just yielded (or a ``Raised``).

    A ``Nest`` pushes ``body`` and runs the routine in its place; a ``Raised`` pops the
    generator below and resumes it with the value or the exception. What the bottom generator
    raises propagates to the dispatcher (StopIteration: the program returned); a value a
    program yields of its own is a ProgramError (``now``: the time for its message).
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
        elif kind is Raised:
            error = yielded.error
            gen = actor.body = stack.pop()
            if type(error) is StopIteration:
                resume, arg = gen.send, error.value
            else:
                resume, arg = gen.throw, error
        elif yielded is PARK:
            return
        else:
            raise ProgramError(
                f"thread {actor.name} yielded {yielded!r}; a program calls the API with "
                "`yield from api.Name(...)` and never yields values of its own",
                thread=actor.name,
                time=now,
            )
        try:
            yielded = resume(arg)
        except BaseException as exc:
            if not stack:
                raise
            yielded = Raised(exc)
