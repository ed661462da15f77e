"""Bad arguments of ProcessSocketNotifications and SocketNotificationRetrieveEvents: a code,
never a Python exception.

Hypothesis draws every argument from junk (None, negative and huge integers, text, floats,
lists of the wrong structures) and real values (a port, a socket, an event handle,
SOCK_NOTIFY_REGISTRATION arrays whose fields are junk too), with Winsock started. Whatever it
draws, ProcessSocketNotifications returns ERROR_SUCCESS, WAIT_TIMEOUT or one of the codes its
module documents for a call that failed whole, and leaves each registration's result either
untouched (the call failed whole) or set to ERROR_SUCCESS or a documented registration code;
SocketNotificationRetrieveEvents returns an integer.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Final

from hypothesis import given, settings
from hypothesis import strategies as st

from emu import codes as c
from emu.win32 import DWORD, OVERLAPPED, OVERLAPPED_ENTRY, Api
from emu.win32.ws2_32 import SOCK_NOTIFY_REGISTRATION
from tests.support import run
from tests.win32.ws2_32.helpers import startup, tcp_pair, udp

UNTOUCHED: Final = 0x5EED
CALL_RESULTS: Final = {
    0,
    c.WAIT_TIMEOUT,
    c.WSAEINVAL,
    c.WSAEFAULT,
    c.WSA_INVALID_HANDLE,
}
REGISTRATION_RESULTS: Final = {UNTOUCHED, 0, c.WSAEINVAL, c.WSAENOTSOCK}

JUNK: Final = st.one_of(
    st.none(),
    st.integers(-(2**65), 2**65),
    st.sampled_from([0, 1, 2, 4, 8, 0x0F, 0xFF, 0xFFFF, 0xFFFFFFFF, -1]),
    st.text(max_size=3),
    st.floats(allow_nan=True),
    st.just([OVERLAPPED()]),
)


def registration(draw: Any, handles: list[Any]) -> SOCK_NOTIFY_REGISTRATION:
    field = st.one_of(JUNK, st.sampled_from(handles))
    return SOCK_NOTIFY_REGISTRATION(
        socket=draw(field),
        completionKey=draw(field),
        eventFilter=draw(st.one_of(JUNK, st.integers(0, 7))),
        operation=draw(st.one_of(JUNK, st.sampled_from([0, 1, 2, 4]))),
        triggerFlags=draw(st.one_of(JUNK, st.sampled_from([4, 8, 5, 6, 9, 0x0C]))),
        registrationResult=UNTOUCHED,
    )


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_arguments_give_a_code_never_an_exception(data: st.DataObject) -> None:
    results: list[tuple[int, list[int]]] = []

    def main(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from tcp_pair(api)
        datagram = yield from udp(api)
        port = yield from api.CreateIoCompletionPort(-1, 0, 0, 1)
        event = yield from api.CreateEventW(None, True, False, None)
        yield from api.send(client, b"ping", 4, 0)
        handles = [client, server, datagram, port, event, 0, -1]
        draw = data.draw
        regs: Any = draw(
            st.one_of(
                JUNK,
                st.lists(st.builds(lambda: registration(draw, handles)), max_size=3),
            )
        )
        count = draw(st.one_of(JUNK, st.integers(0, 4)))
        entries = draw(
            st.one_of(JUNK, st.lists(st.builds(OVERLAPPED_ENTRY), max_size=3), st.just(regs))
        )
        received = draw(st.one_of(JUNK, st.builds(DWORD)))
        wanted = draw(st.one_of(JUNK, st.integers(0, 4)))
        timeout = draw(st.one_of(JUNK, st.sampled_from([0, 1])))
        target = draw(st.one_of(JUNK, st.sampled_from(handles)))
        result = yield from api.ProcessSocketNotifications(
            target, count, regs, timeout, wanted, entries, received
        )
        codes = [
            r.registrationResult
            for r in (regs if isinstance(regs, list) else [])
            if isinstance(r, SOCK_NOTIFY_REGISTRATION)
        ]
        results.append((result, codes))
        events = yield from api.SocketNotificationRetrieveEvents(draw(JUNK))
        assert isinstance(events, int)

    run(main)
    ((result, codes),) = results
    assert result in CALL_RESULTS, result
    assert set(codes) <= REGISTRATION_RESULTS, codes
    if result not in (0, c.WAIT_TIMEOUT):
        assert set(codes) <= {UNTOUCHED}, codes  # a call that failed whole changed nothing
