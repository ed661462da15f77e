"""NETIO's properties (NotifyIpInterfaceChange and CancelMibChangeNotify2, for drivers and
applications): the guarantees of the callbacks (``guarantees``), that nothing queued is lost
(``liveness``), the client rules read off the trace (``client``), the race of callbacks that
overlap under profile ``netio-overlap`` (``race``), the rules the device and the surface record
inline (``rules``), and the life of each registration the checkers share (``registrations``, a
``Fold``). Each module registers its catalogue entries when ``emu.properties.catalogue`` loads
it."""
