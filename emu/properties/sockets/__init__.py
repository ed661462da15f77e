"""The socket state notifications' properties (Winsock: ProcessSocketNotifications and
SOCK_NOTIFY_REGISTRATION): the guarantees of delivery (``delivery``) and of a registration's
life (``lifecycle``), the client rules of an event loop (``loop``) and of the overlapped path
(``overlapped``), and the life of each registration the checkers share (``registrations``, a
``Fold``). Each module registers its catalogue entries when ``emu.properties.catalogue`` loads
it."""
