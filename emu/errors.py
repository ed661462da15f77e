"""The emulator's own exceptions: one small hierarchy.

Windows failures are never exceptions: an API returns its documented code and sets the calling
thread's last error. A Python exception means one of these: the program under test did something
no C program could (yielded a stray value, raised), the emulator was asked for something it does
not model, a replayed schedule no longer fits, a scenario is invalid, or emu itself is wrong.
"""

from __future__ import annotations

from typing import ClassVar


class EmuError(Exception):
    """Base of every exception emu raises on purpose."""


class EmulatorFault(EmuError):
    """An internal invariant broke: a bug in emu, never in the program under test."""


class ProgramError(EmuError):
    """The program under test failed in a way no Windows API reports as a code.

    Examples: a program raised a Python exception, or yielded a value that is not an API call.
    ``thread`` names the virtual thread, ``time`` the virtual time in ticks.
    """

    def __init__(self, message: str, *, thread: str = "", time: int = 0) -> None:
        super().__init__(message)
        self.thread = thread
        self.time = time


class UnsupportedApi(EmuError):
    """A Windows API (or a mode of one) that emu does not model yet.

    Raised instead of pretending to succeed: a stub that returns success without doing the work
    would make a green run meaningless.
    """


class ReplayDivergence(EmuError):
    """A recorded schedule no longer fits the run it is replayed against.

    ``step`` is the index of the choice where the run diverged, ``expected`` the recorded
    (index, option key) pair and ``available`` the options the run offered there.
    """

    def __init__(
        self,
        message: str,
        *,
        step: int,
        expected: tuple[int, object] | None,
        available: tuple[object, ...],
        label: str = "",
    ) -> None:
        super().__init__(message)
        self.step = step
        self.expected = expected
        self.available = available
        self.label = label


class ScenarioError(EmuError):
    """An invalid scenario: ``file:line:column: message [in path]``, always one line.

    ``line`` and ``column`` count from 1 (0 when the error concerns the whole file, printed
    ``file: message``); ``path`` is the breadcrumb to the node (``threads.monitor.steps[2]``),
    empty at the top.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str = "<scenario>",
        line: int = 0,
        column: int = 0,
        path: str = "",
    ) -> None:
        self.message = " ".join(message.split())  # one line, whatever the input
        self.file = file
        self.line = line
        self.column = column
        path = " ".join(path.split())  # a key holding a newline must not break the line
        self.path = path if len(path) <= 100 else f"{path[:60]}...{path[-36:]}"
        super().__init__(self.one_line())

    def located(self, file: str) -> ScenarioError:
        """The same error, naming the file by ``file`` (the path the user gave)."""
        return ScenarioError(
            self.message, file=file, line=self.line, column=self.column, path=self.path
        )

    def lines(self) -> list[str]:
        """Every problem, one line each (one, for a single error)."""
        return [self.one_line()]

    def one_line(self) -> str:
        """``file:line:column: message [in path]``; ``file: message`` when the error concerns
        the whole file (line 0), such as a file that cannot be read. Control characters in the
        file name (a newline, a NUL) are escaped so the message stays one line."""
        file = printable(self.file)
        where = f"{file}:{self.line}:{self.column}" if self.line > 0 else file
        crumb = f" [in {self.path}]" if self.path else ""
        return f"{where}: {self.message}{crumb}"


class ScenarioErrors(ScenarioError):
    """Several problems found in one file, in file order. It reads as the first one (so code
    that shows one line still can); ``lines()`` gives them all, up to ``LIMIT`` and a line
    saying how many more there are."""

    LIMIT: ClassVar[int] = 20
    errors: list[ScenarioError]

    def __init__(self, errors: list[ScenarioError]) -> None:
        flat: list[ScenarioError] = []
        for error in errors:
            flat.extend(error.errors if isinstance(error, ScenarioErrors) else [error])
        if not flat:
            raise ValueError("ScenarioErrors needs at least one error")
        unique: dict[str, ScenarioError] = {}
        for error in sorted(flat, key=lambda e: (e.file, e.line, e.column)):
            unique.setdefault(error.one_line(), error)
        self.errors = list(unique.values())
        first = self.errors[0]
        super().__init__(
            first.message, file=first.file, line=first.line, column=first.column, path=first.path
        )

    def located(self, file: str) -> ScenarioError:
        return ScenarioErrors([e.located(file) if e.file == self.file else e for e in self.errors])

    def lines(self) -> list[str]:
        shown = [error.one_line() for error in self.errors[: self.LIMIT]]
        more = len(self.errors) - self.LIMIT
        if more > 0:
            shown.append(
                f"{printable(self.file)}: {more} more problem{'s' if more != 1 else ''} not shown"
            )
        return shown


def gather(errors: list[ScenarioError]) -> None:
    """Raise what ``errors`` holds: nothing, the one error, or all of them together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ScenarioErrors(errors)


def printable(text: str) -> str:
    """``text`` (a file name) with control and unencodable characters escaped (``\\n``,
    ``\\x00``, ``\\udcff``), so it prints as one line on any terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class RunLimit(BaseException):
    """A bound of the run was met inside a step (``emu.kernel.limits``): the run ends with
    reason ``REASON`` and a violation of ``RULE`` carrying the message, instead of hanging or
    exhausting memory.

    Not an ``Exception``, like ExitThread's ``ThreadExit``: it unwinds the program under test,
    and a program that catches ``Exception`` around its calls (a monitor loop that logs and
    goes on) must not swallow it and spin on for ever. ``Kernel.run`` always catches it.
    """

    REASON: ClassVar[str] = ""
    RULE: ClassVar[str] = ""


class StepLimit(RunLimit):
    """Virtual time stopped advancing: too many API calls at one instant (a livelock or spin).

    The run ends with reason ``step limit`` instead of hanging the emulator.
    """

    REASON = "step limit"
    RULE = "kernel.step_limit"


class ApcDepthLimit(RunLimit):
    """User-mode APC deliveries nested deeper than the limit (an APC that waits alertably
    inside APCs that do, without end). The run ends with reason ``apc depth limit``."""

    REASON = "apc depth limit"
    RULE = "kernel.apc_depth_limit"
