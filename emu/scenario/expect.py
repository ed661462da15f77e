"""``expect:`` and ``until:``: matching what a call returned, the way a Windows engineer reads it.

The meaning of an expected code follows the function's return convention (``ApiSpec.returns``):

- functions returning BOOL or a HANDLE (or a pointer): an ``ERROR_*`` code names the last error
  the call set. ``ERROR_SUCCESS`` (or ``NO_ERROR``) means the call succeeded (TRUE, a valid
  handle) and set no error, or set 0; ``ERROR_ALREADY_EXISTS`` matches a CreateEvent that
  succeeded and set it; ``ERROR_IO_PENDING`` a ReadFile that returned FALSE and set it. Any
  other value (``TRUE``, ``FALSE``, ``NULL``, a number) is compared with the return value.
- functions returning a wait result, a count, an NTSTATUS or an error code: the value is
  compared with the return value (``WAIT_IO_COMPLETION``, ``STATUS_SUCCESS``, ``0``).
- VOID functions return nothing to expect.

A list means any of its codes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emu.codes.files import INVALID_HANDLE_VALUE
from emu.codes.ntstatus import ntstatus_name
from emu.codes.wait import wait_result_name
from emu.codes.winerror import win32_error_name
from emu.kernel.trace import value_text
from emu.scenario.nodes import Node, Scalar, Seq
from emu.scenario.values import constant
from emu.win32.base import BOOL, DWORD_WAIT, HANDLE, SLEEP_RESULT, VOID, WIN32_ERROR, ApiSpec

Matcher = Callable[[Any, "int | None"], bool]

_ERROR_STYLE = (BOOL, HANDLE, "PVOID")


def succeeded(returns: str, result: Any) -> bool:
    """Whether a BOOL / HANDLE / pointer result means success."""
    if returns == HANDLE:
        return bool(result) and result not in (INVALID_HANDLE_VALUE, -1)
    return bool(result)


def _is_error_name(node: Scalar) -> bool:
    text = node.value if isinstance(node.value, str) else ""
    return not node.quoted and (text.startswith("ERROR_") or text == "NO_ERROR")


def compile_expectation(node: Node, spec: ApiSpec) -> tuple[Matcher, str]:
    """A matcher of (result, error the call set) and the expectation as written."""
    if spec.returns == VOID:
        node.fail(f"{spec.name} returns nothing (VOID): there is no code to expect")
    items = list(node) if isinstance(node, Seq) else [node]
    if not items:
        node.fail("expected at least one code")
    checks: list[Matcher] = []
    for item in items:
        if not isinstance(item, Scalar) or item.value is None or isinstance(item.value, float):
            item.fail("expected a code such as ERROR_SUCCESS, TRUE or WAIT_OBJECT_0")
        value = constant(item)
        if not isinstance(value, int):
            item.fail(f"{item.value!r} is not a code (quote nothing: codes are written plainly)")
        if spec.returns in _ERROR_STYLE and _is_error_name(item):
            checks.append(_error_check(spec.returns, value))
        else:
            checks.append(_value_check(value))
    text = " or ".join(i.text if isinstance(i, Scalar) else "?" for i in items)
    if len(checks) == 1:
        return checks[0], text
    return (lambda result, error: any(check(result, error) for check in checks)), text


def _value_check(expected: int) -> Matcher:
    def check(result: Any, error: int | None) -> bool:
        return bool(result == expected)

    return check


def _error_check(returns: str, expected: int) -> Matcher:
    def check(result: Any, error: int | None) -> bool:
        observed = error or 0
        if expected == 0:
            return observed == 0 and succeeded(returns, result)
        return observed == expected

    return check


def describe_outcome(spec: ApiSpec, result: Any, error: int | None) -> str:
    """``FALSE, last error ERROR_IO_PENDING`` / ``WAIT_TIMEOUT``: what a call returned."""
    returns = spec.returns
    if isinstance(result, bool) or not isinstance(result, int):
        shown = value_text(result)
    elif returns == BOOL:
        shown = "TRUE" if result else "FALSE"
    elif returns == HANDLE:
        shown = (
            f"handle 0x{result:X}"
            if succeeded(returns, result)
            else ("INVALID_HANDLE_VALUE" if result in (INVALID_HANDLE_VALUE, -1) else "NULL")
        )
    elif returns == DWORD_WAIT or (returns == SLEEP_RESULT and result):
        shown = wait_result_name(result)
    elif returns == WIN32_ERROR:
        shown = win32_error_name(result)
    elif returns == "NTSTATUS":
        shown = ntstatus_name(result)
    else:
        shown = str(result)
    if error is not None:
        return f"{shown}, last error {win32_error_name(error)}"
    return shown
