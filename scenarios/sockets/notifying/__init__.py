"""Programs of the socket-notification scenarios (``python: notifying:<function>``):
ProcessSocketNotifications and SOCK_NOTIFY_REGISTRATION used as the documentation says
(``triggers``, ``lifecycle``), the echo servers written the documented way (``servers``) and
the servers an engineer could plausibly get wrong (``buggy``). ``common`` holds the calls they
share. Each program keeps its run's state in locals or ``api.context.state``, never at module
level (every schedule of a campaign calls it again)."""

from .buggy import (
    blocking_edge_server,
    close_then_remove_server,
    edge_no_drain_server,
    free_on_close_server,
    pause_resume_server,
    rekey_server,
    shared_persistent_server,
)
from .lifecycle import (
    close_demo,
    datagram_demo,
    err_demo,
    hangup_demo,
    remove_demo,
    same_port_demo,
    timeout_demo,
    timeout_error_demo,
)
from .servers import closing_clients, echo_clients, epoll_echo_server, mt_echo_server
from .triggers import coalesce_demo, disable_demo, edge_demo, level_demo

__all__ = [
    "blocking_edge_server",
    "close_demo",
    "close_then_remove_server",
    "closing_clients",
    "coalesce_demo",
    "datagram_demo",
    "disable_demo",
    "echo_clients",
    "edge_demo",
    "edge_no_drain_server",
    "epoll_echo_server",
    "err_demo",
    "free_on_close_server",
    "hangup_demo",
    "level_demo",
    "mt_echo_server",
    "pause_resume_server",
    "rekey_server",
    "remove_demo",
    "same_port_demo",
    "shared_persistent_server",
    "timeout_demo",
    "timeout_error_demo",
]
