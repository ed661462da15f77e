"""Bad arguments of every exported PeerDist function give the documented code, never an
exception: a table of each function's valid call (which must succeed, so each bad variant
fails because of the one argument it changes) and its variants with one argument replaced by
NULL, a wrong type, a zero length, a bad, closed or other kind of handle; and every function
before PeerDistStartup (PEERDIST_ERROR_NOT_INITIALIZED, F4.9)."""

from __future__ import annotations

from typing import Any, Final

import pytest

import emu.win32.api  # noqa: F401 - registers every export
from emu.codes.peerdist import PEERDIST_ERROR_NOT_FOUND
from emu.codes.winerror import (
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_IO_PENDING,
    ERROR_SUCCESS,
    PEERDIST_ERROR_ALREADY_EXISTS,
    PEERDIST_ERROR_NOT_INITIALIZED,
    PEERDIST_ERROR_OPERATION_NOTFOUND,
    PEERDIST_ERROR_VERSION_UNSUPPORTED,
)
from emu.win32.base import API_SPECS
from emu.win32.peerdist import (
    PEERDIST_CONTENT_TAG,
    PEERDIST_PUBLICATION_OPTIONS,
    PEERDIST_STATUS,
    PEERDIST_STATUS_INFO,
)
from emu.win32.types import DWORD, HANDLE, OVERLAPPED
from tests.win32.peerdist.helpers import (
    Gen,
    event_overlapped,
    logged,
    open_content,
    publish,
    ready_content,
    startup,
)

BAD: Final = 0x12345
"""A value no handle namespace hands out."""


class Ref:
    """A placeholder resolved inside the run (structures and handles belong to one run)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"${self.name}"


H, HSO, HI, HC, HCR, CLOSED, EVENT = (
    Ref(n) for n in ("h", "hso", "hi", "hc", "hcr", "closed", "event")
)
OV, OVOFF, STATUS, INFO, BADINFO, BOX, DW, TAG, SHORTTAG, BUF, OPTIONS = (
    Ref(n)
    for n in (
        "ov",
        "ovoff",
        "status",
        "info",
        "badinfo",
        "box",
        "dw",
        "tag",
        "shorttag",
        "buf",
        "options",
    )
)

OBJ_BAD: Final = (
    (BAD, ERROR_INVALID_HANDLE),
    (CLOSED, ERROR_INVALID_HANDLE),
    (0, ERROR_INVALID_HANDLE),
)
"""Bad object handles: unknown, closed, NULL (another kind is per function)."""

# name -> (valid arguments, the code they give, [(position, bad value, code)])
TABLE: Final[dict[str, tuple[tuple[Any, ...], int, list[tuple[int, Any, int]]]]] = {
    "PeerDistStartup": (
        (2, BOX, None),
        ERROR_SUCCESS,
        [
            (0, 0, ERROR_INVALID_PARAMETER),
            (0, None, ERROR_INVALID_PARAMETER),
            (0, "2", ERROR_INVALID_PARAMETER),
            (0, 3, PEERDIST_ERROR_VERSION_UNSUPPORTED),
            (0, 0x0102, PEERDIST_ERROR_VERSION_UNSUPPORTED),
            (1, None, ERROR_INVALID_PARAMETER),
            (1, STATUS, ERROR_INVALID_PARAMETER),
            (2, STATUS, ERROR_INVALID_PARAMETER),
            (2, 7, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistShutdown": ((H,), ERROR_SUCCESS, []),
    "PeerDistGetStatus": (
        (H, STATUS),
        ERROR_SUCCESS,
        [
            (1, None, ERROR_INVALID_PARAMETER),
            (1, INFO, ERROR_INVALID_PARAMETER),
            (1, 5, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistGetStatusEx": (
        (H, INFO),
        ERROR_SUCCESS,
        [
            (1, None, ERROR_INVALID_PARAMETER),
            (1, STATUS, ERROR_INVALID_PARAMETER),
            (1, BADINFO, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistRegisterForStatusChangeNotification": (
        (H, None, 0, OV, STATUS),
        ERROR_IO_PENDING,
        [
            (1, BAD, ERROR_INVALID_PARAMETER),
            (1, EVENT, ERROR_INVALID_PARAMETER),
            (1, "port", ERROR_INVALID_PARAMETER),
            (3, None, ERROR_INVALID_PARAMETER),
            (3, STATUS, ERROR_INVALID_PARAMETER),
            (4, None, ERROR_INVALID_PARAMETER),
            (4, INFO, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistRegisterForStatusChangeNotificationEx": (
        (H, None, 0, OV, INFO),
        ERROR_SUCCESS,
        [
            (1, BAD, ERROR_INVALID_PARAMETER),
            (3, None, ERROR_INVALID_PARAMETER),
            (3, INFO, ERROR_INVALID_PARAMETER),
            (4, None, ERROR_INVALID_PARAMETER),
            (4, STATUS, ERROR_INVALID_PARAMETER),
            (4, BADINFO, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistUnregisterForStatusChangeNotification": ((H,), ERROR_SUCCESS, []),
    "PeerDistServerPublishStream": (
        (H, 3, b"new", 4, OPTIONS, None, 0, BOX),
        ERROR_SUCCESS,
        [
            (1, 0, ERROR_INVALID_PARAMETER),
            (1, 10, ERROR_INVALID_PARAMETER),
            (1, None, ERROR_INVALID_PARAMETER),
            (2, None, ERROR_INVALID_PARAMETER),
            (2, b"hso", PEERDIST_ERROR_ALREADY_EXISTS),
            (3, -1, ERROR_INVALID_PARAMETER),
            (3, "4", ERROR_INVALID_PARAMETER),
            (4, STATUS, ERROR_INVALID_PARAMETER),
            (5, BAD, ERROR_INVALID_PARAMETER),
            (7, None, ERROR_INVALID_PARAMETER),
            (7, DW, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistServerPublishAddToStream": (
        (H, HSO, 4, b"data", OV),
        ERROR_IO_PENDING,
        [
            *((1, v, c) for v, c in OBJ_BAD),
            (1, HC, ERROR_INVALID_HANDLE),
            (2, 0, ERROR_INVALID_PARAMETER),
            (2, None, ERROR_INVALID_PARAMETER),
            (3, None, ERROR_INVALID_PARAMETER),
            (4, None, ERROR_INVALID_PARAMETER),
            (4, STATUS, ERROR_INVALID_PARAMETER),
            (4, OVOFF, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistServerPublishCompleteStream": (
        (H, HSO, OV),
        ERROR_IO_PENDING,
        [
            *((1, v, c) for v, c in OBJ_BAD),
            (1, HI, ERROR_INVALID_HANDLE),
            (2, None, ERROR_INVALID_PARAMETER),
            (2, OVOFF, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistServerCloseStreamHandle": (
        (H, HSO),
        ERROR_SUCCESS,
        [
            *((1, v, c) for v, c in OBJ_BAD),
            (1, HC, ERROR_INVALID_HANDLE),
            (1, H, ERROR_INVALID_HANDLE),
        ],
    ),
    "PeerDistServerUnpublish": (
        (H, 2, b"id"),
        ERROR_SUCCESS,
        [
            (1, 0, ERROR_INVALID_PARAMETER),
            (2, None, ERROR_INVALID_PARAMETER),
            (2, b"zz", PEERDIST_ERROR_NOT_FOUND),
        ],
    ),
    "PeerDistServerOpenContentInformation": (
        (H, 2, b"id", 0, 0, None, 0, BOX),
        ERROR_SUCCESS,
        [
            (1, 0, ERROR_INVALID_PARAMETER),
            (2, None, ERROR_INVALID_PARAMETER),
            (2, b"zz", PEERDIST_ERROR_NOT_FOUND),
            (3, -1, ERROR_INVALID_PARAMETER),
            (3, 100, ERROR_INVALID_PARAMETER),
            (4, None, ERROR_INVALID_PARAMETER),
            (5, BAD, ERROR_INVALID_PARAMETER),
            (7, None, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistServerRetrieveContentInformation": (
        (H, HI, 64, BUF, OV),
        ERROR_IO_PENDING,
        [
            *((1, v, c) for v, c in OBJ_BAD),
            (1, HSO, ERROR_INVALID_HANDLE),
            (2, 0, ERROR_INVALID_PARAMETER),
            (3, None, ERROR_INVALID_PARAMETER),
            (4, None, ERROR_INVALID_PARAMETER),
            (4, INFO, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistServerCloseContentInformation": (
        (H, HI),
        ERROR_SUCCESS,
        [*((1, v, c) for v, c in OBJ_BAD), (1, HC, ERROR_INVALID_HANDLE)],
    ),
    "PeerDistServerCancelAsyncOperation": (
        (H, 2, b"id", OV),
        PEERDIST_ERROR_OPERATION_NOTFOUND,
        [
            (1, 0, ERROR_INVALID_PARAMETER),
            (2, None, ERROR_INVALID_PARAMETER),
            (3, None, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistClientOpenContent": (
        (H, TAG, None, 0, BOX),
        ERROR_SUCCESS,
        [
            (1, None, ERROR_INVALID_PARAMETER),
            (1, STATUS, ERROR_INVALID_PARAMETER),
            (1, SHORTTAG, ERROR_INVALID_PARAMETER),
            (2, BAD, ERROR_INVALID_PARAMETER),
            (4, None, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistClientCloseContent": (
        (H, HC),
        ERROR_SUCCESS,
        [*((1, v, c) for v, c in OBJ_BAD), (1, HSO, ERROR_INVALID_HANDLE)],
    ),
    "PeerDistClientAddContentInformation": (
        (H, HC, 4, b"info", OV),
        ERROR_IO_PENDING,
        [
            *((1, v, c) for v, c in OBJ_BAD),
            (1, HI, ERROR_INVALID_HANDLE),
            (2, 0, ERROR_INVALID_PARAMETER),
            (3, None, ERROR_INVALID_PARAMETER),
            (4, None, ERROR_INVALID_PARAMETER),
            (4, OVOFF, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistClientCompleteContentInformation": (
        (H, HC, OV),
        ERROR_IO_PENDING,
        [*((1, v, c) for v, c in OBJ_BAD), (2, None, ERROR_INVALID_PARAMETER)],
    ),
    "PeerDistClientBlockRead": (
        (H, HCR, 4, BUF, 0, OV),
        ERROR_IO_PENDING,
        [
            *((1, v, c) for v, c in OBJ_BAD),
            (1, HSO, ERROR_INVALID_HANDLE),
            (1, HC, PEERDIST_ERROR_NOT_INITIALIZED),
            (2, None, ERROR_INVALID_PARAMETER),
            (3, None, ERROR_INVALID_PARAMETER),
            (4, None, ERROR_INVALID_PARAMETER),
            (5, None, ERROR_INVALID_PARAMETER),
            (5, STATUS, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistClientStreamRead": (
        (H, HCR, 4, BUF, 0, OV),
        ERROR_IO_PENDING,
        [
            *((1, v, c) for v, c in OBJ_BAD),
            (1, HC, PEERDIST_ERROR_NOT_INITIALIZED),
            (3, None, ERROR_INVALID_PARAMETER),
            (5, None, ERROR_INVALID_PARAMETER),
        ],
    ),
    "PeerDistClientCancelAsyncOperation": (
        (H, HC, OV),
        PEERDIST_ERROR_OPERATION_NOTFOUND,
        [
            *((1, v, c) for v, c in OBJ_BAD),
            (1, HI, ERROR_INVALID_HANDLE),
            (2, STATUS, ERROR_INVALID_PARAMETER),
        ],
    ),
}
GET_OVERLAPPED_RESULT: Final = "PeerDistGetOverlappedResult"
SESSIONLESS: Final = ("PeerDistStartup", GET_OVERLAPPED_RESULT)


def peerdist_exports() -> list[str]:
    return sorted(n for n, spec in API_SPECS.items() if spec.dll == "peerdist")


def test_the_table_covers_every_export() -> None:
    assert sorted([*TABLE, GET_OVERLAPPED_RESULT]) == peerdist_exports()


def world(api: Any) -> Gen:
    """The session and handles of each kind the table's placeholders name."""
    h = yield from startup(api)
    yield from publish(api, h)
    hcr = yield from ready_content(api, h)
    hso_box = HANDLE()
    code = yield from api.PeerDistServerPublishStream(h, 3, b"hso", 4, None, None, 0, hso_box)
    assert code == 0
    gone = HANDLE()
    code = yield from api.PeerDistServerPublishStream(h, 4, b"gone", 4, None, None, 0, gone)
    assert code == 0
    code = yield from api.PeerDistServerCloseStreamHandle(h, gone.value)
    assert code == 0
    hi = HANDLE()
    code = yield from api.PeerDistServerOpenContentInformation(h, 2, b"id", 0, 0, None, 0, hi)
    assert code == 0
    hc = yield from open_content(api, h)
    event, _ = yield from event_overlapped(api)
    return {
        "h": h,
        "hso": hso_box.value,
        "hi": hi.value,
        "hc": hc,
        "hcr": hcr,
        "closed": gone.value,
        "event": event,
    }


def make(ref: Ref, handles: dict[str, Any]) -> Any:
    if ref.name in handles:
        return handles[ref.name]
    return {
        "ov": OVERLAPPED,
        "ovoff": lambda: OVERLAPPED(Offset=1),
        "status": PEERDIST_STATUS,
        "info": PEERDIST_STATUS_INFO,
        "badinfo": lambda: PEERDIST_STATUS_INFO(cbSize=3),
        "box": HANDLE,
        "dw": DWORD,
        "tag": PEERDIST_CONTENT_TAG,
        "shorttag": lambda: PEERDIST_CONTENT_TAG(Data=b"short"),
        "buf": lambda: bytearray(64),
        "options": lambda: PEERDIST_PUBLICATION_OPTIONS(dwVersion=1, dwFlags=0),
    }[ref.name]()


def call_in_world(name: str, args: tuple[Any, ...]) -> Any:
    def body(api: Any, log: list[Any]) -> Gen:
        handles = yield from world(api)
        real = [make(a, handles) if isinstance(a, Ref) else a for a in args]
        log.append((yield from getattr(api, name)(*real)))

    log, _ = logged(body)
    return log[0]


CASES: Final = [
    pytest.param(name, args, code, id=f"{name}-valid") for name, (args, code, _) in TABLE.items()
] + [
    pytest.param(
        name,
        tuple(bad if i == pos else a for i, a in enumerate(args)),
        code,
        id=f"{name}-arg{pos}={bad!r}",
    )
    for name, (args, _, bads) in TABLE.items()
    for pos, bad, code in bads
]


@pytest.mark.parametrize(("name", "args", "code"), CASES)
def test_code(name: str, args: tuple[Any, ...], code: int) -> None:
    assert call_in_world(name, args) == code


SESSION_BAD: Final = [
    pytest.param(BAD, id="unknown"),
    pytest.param(0, id="NULL"),
    pytest.param(None, id="None"),
    pytest.param("h", id="string"),
    pytest.param(HSO, id="stream-handle"),
    pytest.param(HC, id="content-handle"),
]


@pytest.mark.parametrize("bad", SESSION_BAD)
@pytest.mark.parametrize("name", [n for n in TABLE if n not in SESSIONLESS])
def test_bad_session_handle_is_invalid_handle(name: str, bad: Any) -> None:
    args, _, _ = TABLE[name]
    assert call_in_world(name, (bad, *args[1:])) == ERROR_INVALID_HANDLE


@pytest.mark.parametrize("name", [n for n in TABLE if n not in SESSIONLESS])
def test_closed_session_is_invalid_handle(name: str) -> None:
    """A session shut down while another of the process lives: ERROR_INVALID_HANDLE."""

    def body(api: Any, log: list[Any]) -> Gen:
        handles = yield from world(api)
        yield from startup(api)
        assert (yield from api.PeerDistShutdown(handles["h"])) == 0
        args, _, _ = TABLE[name]
        real = [make(a, handles) if isinstance(a, Ref) else a for a in args]
        log.append((yield from getattr(api, name)(*real)))

    assert logged(body)[0] == [ERROR_INVALID_HANDLE]


@pytest.mark.parametrize("name", [n for n in TABLE if n not in SESSIONLESS])
def test_before_startup_is_not_initialized(name: str) -> None:
    """ "PeerDistStartup must be called before any other Peer Distribution functions" (F4.9)."""
    args, _, _ = TABLE[name]
    fake = dict.fromkeys(("h", "hso", "hi", "hc", "hcr", "closed", "event"), 0x3E0000)

    def body(api: Any, log: list[Any]) -> Gen:
        real = [make(a, fake) if isinstance(a, Ref) else a for a in args]
        log.append((yield from getattr(api, name)(*real)))

    assert logged(body)[0] == [PEERDIST_ERROR_NOT_INITIALIZED]


@pytest.mark.parametrize("name", [n for n in TABLE if n not in SESSIONLESS])
def test_after_last_shutdown_is_not_initialized(name: str) -> None:
    """Calls after the process's only session was shut down: PEERDIST_ERROR_NOT_INITIALIZED."""

    def body(api: Any, log: list[Any]) -> Gen:
        handles = yield from world(api)
        assert (yield from api.PeerDistShutdown(handles["h"])) == 0
        args, _, _ = TABLE[name]
        real = [make(a, handles) if isinstance(a, Ref) else a for a in args]
        log.append((yield from getattr(api, name)(*real)))

    assert logged(body)[0] == [PEERDIST_ERROR_NOT_INITIALIZED]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param((None, DW, 0), ERROR_INVALID_PARAMETER, id="NULL-overlapped"),
        pytest.param((STATUS, DW, 0), ERROR_INVALID_PARAMETER, id="wrong-struct"),
        pytest.param((OV, None, 0), ERROR_INVALID_PARAMETER, id="NULL-count"),
        pytest.param((OV, STATUS, 0), ERROR_INVALID_PARAMETER, id="count-wrong-type"),
        pytest.param((OV, DW, "yes"), ERROR_INVALID_PARAMETER, id="bWait-string"),
    ],
)
def test_get_overlapped_result_bad_arguments(args: tuple[Any, ...], error: int) -> None:
    """BOOL: FALSE and the error as the last error."""

    def body(api: Any, log: list[Any]) -> Gen:
        real = [make(a, {}) if isinstance(a, Ref) else a for a in args]
        log.append((yield from api.PeerDistGetOverlappedResult(*real)))
        log.append(int((yield from api.GetLastError())))

    assert logged(body)[0] == [0, error]
