"""Device models: the things that change state (the Service Control Manager and its services,
network interfaces, sockets and their peers, the BranchCache service).

A device owns its state machine and its registrations and produces notifications only through
kernel primitives (queue an APC, post a packet, signal an event, queue a callback). None is
modelled yet; each subsystem issue adds its own module here.
"""
