"""emu: a deterministic discrete-event emulator of the Windows kernel-notification subsystem."""

__version__ = "0.1.0"
