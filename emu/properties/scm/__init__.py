"""The Service Control Manager's properties: NotifyServiceStatusChange's guarantees and
liveness (``checks``), its client rules read off the trace (``client``) and recorded inline
(``rules``), and the life of each notification request the checkers share (``requests``, a
``Fold``). Each module registers its catalogue entries when ``emu.properties.catalogue``
loads it."""
