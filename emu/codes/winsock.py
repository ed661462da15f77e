"""Winsock constants and error codes (winsock2.h, ws2def.h, winerror.h), with their real values.

- The Windows Sockets error codes (WSABASEERR 10000 + n) that ws2_32 reports through
  WSAGetLastError, with their system message texts ("Windows Sockets Error Codes", MS docs);
  ``emu.codes.winerror`` folds them into ``Win32Error`` so a last error prints by name. The
  WSA_* codes that are Win32 errors under another name (WSA_INVALID_HANDLE 6, WSA_IO_PENDING
  997, ...) are aliases of the ERROR_* values. ``WSA_FROM_NTSTATUS`` is the error
  WSAGetOverlappedResult reports for a request's failure status (the table Wine's
  test_WSAGetOverlappedResult checks on Windows).
- Address families, socket types and protocols (AF_INET 2, SOCK_STREAM 1, SOCK_DGRAM 2,
  IPPROTO_TCP 6, IPPROTO_UDP 17), the WSASocket flags, the ioctlsocket commands (FIONBIO
  0x8004667E, FIONREAD 0x4004667F), the SOL_SOCKET options, shutdown's SD_* values and the
  send/recv MSG_* flags.
- The socket state notification bits of ProcessSocketNotifications (docs/sources.md F2.1-F2.4):
  SOCK_NOTIFY_REGISTER_EVENT_* and SOCK_NOTIFY_EVENT_* (IN 0x01, OUT 0x02, HANGUP 0x04, ERR
  0x40, REMOVE 0x80), SOCK_NOTIFY_OP_* and SOCK_NOTIFY_TRIGGER_*. No header defines the
  "SOCK_NOTIFY_EVENT_DISABLE" the documentation mentions (F2.5), so none is defined here.
"""

from __future__ import annotations

from typing import Final

from emu.codes._enum import public_names

# -- Windows Sockets error codes (winerror.h / winsock2.h) ---------------------------------------
WSAEINTR: Final = 10004
WSAEBADF: Final = 10009
WSAEACCES: Final = 10013
WSAEFAULT: Final = 10014
WSAEINVAL: Final = 10022
WSAEMFILE: Final = 10024
WSAEWOULDBLOCK: Final = 10035
WSAEINPROGRESS: Final = 10036
WSAEALREADY: Final = 10037
WSAENOTSOCK: Final = 10038
WSAEDESTADDRREQ: Final = 10039
WSAEMSGSIZE: Final = 10040
WSAEPROTOTYPE: Final = 10041
WSAENOPROTOOPT: Final = 10042
WSAEPROTONOSUPPORT: Final = 10043
WSAESOCKTNOSUPPORT: Final = 10044
WSAEOPNOTSUPP: Final = 10045
WSAEPFNOSUPPORT: Final = 10046
WSAEAFNOSUPPORT: Final = 10047
WSAEADDRINUSE: Final = 10048
WSAEADDRNOTAVAIL: Final = 10049
WSAENETDOWN: Final = 10050
WSAENETUNREACH: Final = 10051
WSAENETRESET: Final = 10052
WSAECONNABORTED: Final = 10053
WSAECONNRESET: Final = 10054
WSAENOBUFS: Final = 10055
WSAEISCONN: Final = 10056
WSAENOTCONN: Final = 10057
WSAESHUTDOWN: Final = 10058
WSAETIMEDOUT: Final = 10060
WSAECONNREFUSED: Final = 10061
WSAEHOSTDOWN: Final = 10064
WSAEHOSTUNREACH: Final = 10065
WSAEPROCLIM: Final = 10067
WSASYSNOTREADY: Final = 10091
WSAVERNOTSUPPORTED: Final = 10092
WSANOTINITIALISED: Final = 10093
WSAEDISCON: Final = 10101

WSA_ERROR_NAMES: Final = public_names(globals(), ("WSAE", "WSASYS", "WSAVER", "WSANOT"))
"""The names above, in order, for ``emu.codes.winerror.Win32Error``."""

# The WSA_* names winsock2.h gives to Win32 errors (same values as the ERROR_* codes).
WSA_INVALID_HANDLE: Final = 6
WSA_NOT_ENOUGH_MEMORY: Final = 8
WSA_INVALID_PARAMETER: Final = 87
WSA_OPERATION_ABORTED: Final = 995
WSA_IO_INCOMPLETE: Final = 996
WSA_IO_PENDING: Final = 997

# The Windows Sockets error WSAGetOverlappedResult reports for a request's failure status
# (OVERLAPPED.Internal), as Windows reports it: Wine dlls/ws2_32/tests/sock.c,
# test_WSAGetOverlappedResult, which passes on Windows, checks every status of eight ranges
# against this table (its map_status); a failure status it does not list is WSAEINVAL. The keys
# are NTSTATUS values (ntstatus.h), named in the comments.
WSA_FROM_NTSTATUS: Final[dict[int, int]] = {
    0x00000103: WSA_IO_INCOMPLETE,  # STATUS_PENDING
    0x80000005: WSAEMSGSIZE,  # STATUS_BUFFER_OVERFLOW
    0xC0000002: WSAEOPNOTSUPP,  # STATUS_NOT_IMPLEMENTED
    0xC0000005: WSAEFAULT,  # STATUS_ACCESS_VIOLATION
    0xC0000007: WSAENOBUFS,  # STATUS_PAGEFILE_QUOTA
    0xC0000008: WSAENOTSOCK,  # STATUS_INVALID_HANDLE
    0xC000000E: WSAENETDOWN,  # STATUS_NO_SUCH_DEVICE
    0xC000000F: WSAENETDOWN,  # STATUS_NO_SUCH_FILE
    0xC0000017: WSAENOBUFS,  # STATUS_NO_MEMORY
    0xC0000018: WSAENOBUFS,  # STATUS_CONFLICTING_ADDRESSES
    0xC0000022: WSAEACCES,  # STATUS_ACCESS_DENIED
    0xC0000023: WSAEFAULT,  # STATUS_BUFFER_TOO_SMALL
    0xC0000024: WSAENOTSOCK,  # STATUS_OBJECT_TYPE_MISMATCH
    0xC0000034: WSAENETDOWN,  # STATUS_OBJECT_NAME_NOT_FOUND
    0xC000003A: WSAENETDOWN,  # STATUS_OBJECT_PATH_NOT_FOUND
    0xC0000043: WSAEADDRINUSE,  # STATUS_SHARING_VIOLATION
    0xC0000044: WSAENOBUFS,  # STATUS_QUOTA_EXCEEDED
    0xC0000097: WSAENOBUFS,  # STATUS_TOO_MANY_PAGING_FILES
    0xC000009A: WSAENOBUFS,  # STATUS_INSUFFICIENT_RESOURCES
    0xC00000A1: WSAENOBUFS,  # STATUS_WORKING_SET_QUOTA
    0xC00000A3: WSAEWOULDBLOCK,  # STATUS_DEVICE_NOT_READY
    0xC00000B0: WSAESHUTDOWN,  # STATUS_PIPE_DISCONNECTED
    0xC00000B5: WSAETIMEDOUT,  # STATUS_IO_TIMEOUT
    0xC00000BB: WSAEOPNOTSUPP,  # STATUS_NOT_SUPPORTED
    0xC00000BC: WSAECONNREFUSED,  # STATUS_REMOTE_NOT_LISTENING
    0xC00000BE: WSAENETUNREACH,  # STATUS_BAD_NETWORK_PATH
    0xC00000BF: WSAENETDOWN,  # STATUS_NETWORK_BUSY
    0xC00000C3: WSAENETDOWN,  # STATUS_INVALID_NETWORK_RESPONSE
    0xC00000C4: WSAENETDOWN,  # STATUS_UNEXPECTED_NETWORK_ERROR
    0xC00000D0: WSAEWOULDBLOCK,  # STATUS_REQUEST_NOT_ACCEPTED
    0xC0000120: WSA_OPERATION_ABORTED,  # STATUS_CANCELLED
    0xC000012D: WSAENOBUFS,  # STATUS_COMMITMENT_LIMIT
    0xC000013B: WSAECONNABORTED,  # STATUS_LOCAL_DISCONNECT
    0xC000013C: WSAECONNRESET,  # STATUS_REMOTE_DISCONNECT
    0xC000013D: WSAENOBUFS,  # STATUS_REMOTE_RESOURCES
    0xC000013E: WSAECONNRESET,  # STATUS_LINK_FAILED
    0xC000013F: WSAETIMEDOUT,  # STATUS_LINK_TIMEOUT
    0xC0000140: WSAENOTCONN,  # STATUS_INVALID_CONNECTION
    0xC0000141: WSAEADDRNOTAVAIL,  # STATUS_INVALID_ADDRESS
    0xC0000206: WSAEMSGSIZE,  # STATUS_INVALID_BUFFER_SIZE
    0xC0000207: WSAEADDRNOTAVAIL,  # STATUS_INVALID_ADDRESS_COMPONENT
    0xC0000209: WSAENOBUFS,  # STATUS_TOO_MANY_ADDRESSES
    0xC000020A: WSAEADDRINUSE,  # STATUS_ADDRESS_ALREADY_EXISTS
    0xC000020C: WSAECONNRESET,  # STATUS_CONNECTION_DISCONNECTED
    0xC000020D: WSAECONNRESET,  # STATUS_CONNECTION_RESET
    0xC000020F: WSAECONNABORTED,  # STATUS_TRANSACTION_ABORTED
    0xC0000236: WSAECONNREFUSED,  # STATUS_CONNECTION_REFUSED
    0xC0000237: WSAEDISCON,  # STATUS_GRACEFUL_DISCONNECT
    0xC000023B: WSAEISCONN,  # STATUS_CONNECTION_ACTIVE
    0xC000023C: WSAENETUNREACH,  # STATUS_NETWORK_UNREACHABLE
    0xC000023D: WSAEHOSTUNREACH,  # STATUS_HOST_UNREACHABLE
    0xC000023E: WSAENETUNREACH,  # STATUS_PROTOCOL_UNREACHABLE
    0xC000023F: WSAECONNRESET,  # STATUS_PORT_UNREACHABLE
    0xC0000240: WSAEINTR,  # STATUS_REQUEST_ABORTED
    0xC0000241: WSAECONNABORTED,  # STATUS_CONNECTION_ABORTED
    0xC00002C5: WSAEFAULT,  # STATUS_DATATYPE_MISALIGNMENT_ERROR
    0xC0000350: WSAEHOSTDOWN,  # STATUS_HOST_DOWN
    0x80070000 | WSA_IO_INCOMPLETE: WSA_IO_INCOMPLETE,  # a wrapped ERROR_IO_INCOMPLETE
    0xC0010000 | WSA_IO_INCOMPLETE: WSA_IO_INCOMPLETE,
    0xC0070000 | WSA_IO_INCOMPLETE: WSA_IO_INCOMPLETE,
}

# FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM) texts, English (United States).
WSA_MESSAGES: Final[dict[int, str]] = {
    WSAEINTR: "A blocking operation was interrupted by a call to WSACancelBlockingCall.",
    WSAEBADF: "The file handle supplied is not valid.",
    WSAEACCES: (
        "An attempt was made to access a socket in a way forbidden by its access permissions."
    ),
    WSAEFAULT: (
        "The system detected an invalid pointer address in attempting to use a pointer "
        "argument in a call."
    ),
    WSAEINVAL: "An invalid argument was supplied.",
    WSAEMFILE: "Too many open sockets.",
    WSAEWOULDBLOCK: "A non-blocking socket operation could not be completed immediately.",
    WSAEINPROGRESS: "A blocking operation is currently executing.",
    WSAEALREADY: (
        "An operation was attempted on a non-blocking socket that already had an operation "
        "in progress."
    ),
    WSAENOTSOCK: "An operation was attempted on something that is not a socket.",
    WSAEDESTADDRREQ: "A required address was omitted from an operation on a socket.",
    WSAEMSGSIZE: (
        "A message sent on a datagram socket was larger than the internal message buffer or "
        "some other network limit, or the buffer used to receive a datagram into was smaller "
        "than the datagram itself."
    ),
    WSAEPROTOTYPE: (
        "A protocol was specified in the socket function call that does not support the "
        "semantics of the socket type requested."
    ),
    WSAENOPROTOOPT: (
        "An unknown, invalid, or unsupported option or level was specified in a getsockopt "
        "or setsockopt call."
    ),
    WSAEPROTONOSUPPORT: (
        "The requested protocol has not been configured into the system, or no "
        "implementation for it exists."
    ),
    WSAESOCKTNOSUPPORT: (
        "The support for the specified socket type does not exist in this address family."
    ),
    WSAEOPNOTSUPP: "The attempted operation is not supported for the type of object referenced.",
    WSAEPFNOSUPPORT: (
        "The protocol family has not been configured into the system or no implementation "
        "for it exists."
    ),
    WSAEAFNOSUPPORT: "An address incompatible with the requested protocol was used.",
    WSAEADDRINUSE: (
        "Only one usage of each socket address (protocol/network address/port) is normally "
        "permitted."
    ),
    WSAEADDRNOTAVAIL: "The requested address is not valid in its context.",
    WSAENETDOWN: "A socket operation encountered a dead network.",
    WSAENETUNREACH: "A socket operation was attempted to an unreachable network.",
    WSAENETRESET: (
        "The connection has been broken due to keep-alive activity detecting a failure while "
        "the operation was in progress."
    ),
    WSAECONNABORTED: (
        "An established connection was aborted by the software in your host machine."
    ),
    WSAECONNRESET: "An existing connection was forcibly closed by the remote host.",
    WSAENOBUFS: (
        "An operation on a socket could not be performed because the system lacked "
        "sufficient buffer space or because a queue was full."
    ),
    WSAEISCONN: "A connect request was made on an already connected socket.",
    WSAENOTCONN: (
        "A request to send or receive data was disallowed because the socket is not "
        "connected and (when sending on a datagram socket using a sendto call) no address "
        "was supplied."
    ),
    WSAESHUTDOWN: (
        "A request to send or receive data was disallowed because the socket had already "
        "been shut down in that direction with a previous shutdown call."
    ),
    WSAETIMEDOUT: (
        "A connection attempt failed because the connected party did not properly respond "
        "after a period of time, or established connection failed because connected host has "
        "failed to respond."
    ),
    WSAECONNREFUSED: (
        "No connection could be made because the target machine actively refused it."
    ),
    WSAEHOSTDOWN: "A socket operation failed because the destination host was down.",
    WSAEHOSTUNREACH: "A socket operation was attempted to an unreachable host.",
    WSAEPROCLIM: (
        "A Windows Sockets implementation may have a limit on the number of applications "
        "that may use it simultaneously."
    ),
    WSASYSNOTREADY: (
        "WSAStartup cannot function at this time because the underlying system it uses to "
        "provide network services is currently unavailable."
    ),
    WSAVERNOTSUPPORTED: "The Windows Sockets version requested is not supported.",
    WSANOTINITIALISED: "Either the application has not called WSAStartup, or WSAStartup failed.",
    WSAEDISCON: (
        "Returned by WSARecv or WSARecvFrom to indicate the remote party has initiated a "
        "graceful shutdown sequence."
    ),
}

# -- sockets: families, types, protocols (ws2def.h, winsock2.h) -------------------------------
INVALID_SOCKET: Final = 0xFFFFFFFFFFFFFFFF
"""(SOCKET)(~0): a SOCKET is a UINT_PTR."""
SOCKET_ERROR: Final = -1

AF_UNSPEC: Final = 0
AF_UNIX: Final = 1
AF_INET: Final = 2
AF_IPX: Final = 6
AF_APPLETALK: Final = 16
AF_NETBIOS: Final = 17
AF_INET6: Final = 23
AF_IRDA: Final = 26
AF_BTH: Final = 32

SOCK_STREAM: Final = 1
SOCK_DGRAM: Final = 2
SOCK_RAW: Final = 3
SOCK_RDM: Final = 4
SOCK_SEQPACKET: Final = 5

IPPROTO_IP: Final = 0
IPPROTO_ICMP: Final = 1
IPPROTO_TCP: Final = 6
IPPROTO_UDP: Final = 17
IPPROTO_IPV6: Final = 41
IPPROTO_RAW: Final = 255

INADDR_ANY: Final = 0x00000000
INADDR_LOOPBACK: Final = 0x7F000001
"""127.0.0.1, written as an integer in host order (emu's SOCKADDR_IN holds plain integers)."""
INADDR_BROADCAST: Final = 0xFFFFFFFF
"""255.255.255.255."""

SOCKADDR_IN_SIZE: Final = 16
"""sizeof(struct sockaddr_in)."""

# -- WSASocket dwFlags (winsock2.h) ---------------------------------------------------------------
WSA_FLAG_OVERLAPPED: Final = 0x01
WSA_FLAG_MULTIPOINT_C_ROOT: Final = 0x02
WSA_FLAG_MULTIPOINT_C_LEAF: Final = 0x04
WSA_FLAG_MULTIPOINT_D_ROOT: Final = 0x08
WSA_FLAG_MULTIPOINT_D_LEAF: Final = 0x10
WSA_FLAG_ACCESS_SYSTEM_SECURITY: Final = 0x40
WSA_FLAG_NO_HANDLE_INHERIT: Final = 0x80
WSA_FLAG_REGISTERED_IO: Final = 0x100

# -- ioctlsocket commands (winsock2.h: _IOW('f', 126, u_long), _IOR('f', 127, u_long), ...) --
FIONBIO: Final = 0x8004667E
FIONREAD: Final = 0x4004667F
FIOASYNC: Final = 0x8004667D
SIOCATMARK: Final = 0x40047307

# -- getsockopt (winsock2.h) ----------------------------------------------------------------------
SOL_SOCKET: Final = 0xFFFF
SO_DEBUG: Final = 0x0001
SO_ACCEPTCONN: Final = 0x0002
SO_REUSEADDR: Final = 0x0004
SO_KEEPALIVE: Final = 0x0008
SO_DONTROUTE: Final = 0x0010
SO_BROADCAST: Final = 0x0020
SO_LINGER: Final = 0x0080
SO_OOBINLINE: Final = 0x0100
SO_SNDBUF: Final = 0x1001
SO_RCVBUF: Final = 0x1002
SO_SNDLOWAT: Final = 0x1003
SO_RCVLOWAT: Final = 0x1004
SO_SNDTIMEO: Final = 0x1005
SO_RCVTIMEO: Final = 0x1006
SO_ERROR: Final = 0x1007
SO_TYPE: Final = 0x1008
SO_EXCLUSIVEADDRUSE: Final = ~SO_REUSEADDR & 0xFFFFFFFF

# -- listen, shutdown, send/recv flags -------------------------------------------------------------
SOMAXCONN: Final = 0x7FFFFFFF
SD_RECEIVE: Final = 0
SD_SEND: Final = 1
SD_BOTH: Final = 2
MSG_OOB: Final = 0x1
MSG_PEEK: Final = 0x2
MSG_DONTROUTE: Final = 0x4
MSG_WAITALL: Final = 0x8
MSG_PUSH_IMMEDIATE: Final = 0x20
MSG_PARTIAL: Final = 0x8000

# -- socket state notifications (winsock2.h; docs/sources.md F2.1-F2.4) ---------------------------
SOCK_NOTIFY_REGISTER_EVENT_NONE: Final = 0x00
SOCK_NOTIFY_REGISTER_EVENT_IN: Final = 0x01
SOCK_NOTIFY_REGISTER_EVENT_OUT: Final = 0x02
SOCK_NOTIFY_REGISTER_EVENT_HANGUP: Final = 0x04
SOCK_NOTIFY_REGISTER_EVENTS_ALL: Final = 0x07

SOCK_NOTIFY_EVENT_IN: Final = 0x01
SOCK_NOTIFY_EVENT_OUT: Final = 0x02
SOCK_NOTIFY_EVENT_HANGUP: Final = 0x04
SOCK_NOTIFY_EVENT_ERR: Final = 0x40
SOCK_NOTIFY_EVENT_REMOVE: Final = 0x80
SOCK_NOTIFY_EVENTS_ALL: Final = 0xC7

SOCK_NOTIFY_OP_NONE: Final = 0x00
SOCK_NOTIFY_OP_ENABLE: Final = 0x01
SOCK_NOTIFY_OP_DISABLE: Final = 0x02
SOCK_NOTIFY_OP_REMOVE: Final = 0x04

SOCK_NOTIFY_TRIGGER_ONESHOT: Final = 0x01
SOCK_NOTIFY_TRIGGER_PERSISTENT: Final = 0x02
SOCK_NOTIFY_TRIGGER_LEVEL: Final = 0x04
SOCK_NOTIFY_TRIGGER_EDGE: Final = 0x08
SOCK_NOTIFY_TRIGGER_ALL: Final = 0x0F

_EVENT_NAMES: Final = (
    (SOCK_NOTIFY_EVENT_IN, "IN"),
    (SOCK_NOTIFY_EVENT_OUT, "OUT"),
    (SOCK_NOTIFY_EVENT_HANGUP, "HANGUP"),
    (SOCK_NOTIFY_EVENT_ERR, "ERR"),
    (SOCK_NOTIFY_EVENT_REMOVE, "REMOVE"),
)


def sock_notify_event_names(mask: int) -> str:
    """``IN|OUT`` for 0x03; ``0`` for no bit; unknown bits in hexadecimal."""
    names = [name for bit, name in _EVENT_NAMES if mask & bit]
    rest = mask & ~SOCK_NOTIFY_EVENTS_ALL
    if rest:
        names.append(f"0x{rest:X}")
    return "|".join(names) or "0"
