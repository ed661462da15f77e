"""Programs of the socket-notification scenarios (``python: notifying:<function>``):
ProcessSocketNotifications and SOCK_NOTIFY_REGISTRATION used as the documentation says
(``triggers``, ``lifecycle``), the echo servers written the documented way (``servers``) and
the servers an engineer could plausibly get wrong (``buggy``). ``common`` holds the calls they
share. Each program keeps its run's state in locals or ``api.context.state``, never at module
level (every schedule of a campaign calls it again)."""

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
from .triggers import coalesce_demo, disable_demo, edge_demo, level_demo, oneshot_demo

__all__ = [
    "close_demo",
    "coalesce_demo",
    "datagram_demo",
    "disable_demo",
    "edge_demo",
    "err_demo",
    "hangup_demo",
    "level_demo",
    "oneshot_demo",
    "remove_demo",
    "same_port_demo",
    "timeout_demo",
    "timeout_error_demo",
]
