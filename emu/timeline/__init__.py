"""Reading a finished run: state reconstruction and the readable timeline."""

from emu.kernel.tracestate import ObjectState, World, state_at
from emu.timeline.render import describe, render_timeline

__all__ = ["ObjectState", "World", "describe", "render_timeline", "state_at"]
