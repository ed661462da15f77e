"""Reading a finished run: state reconstruction and the readable timeline."""

from emu.timeline.render import describe, render_timeline
from emu.timeline.state import ObjectState, World, state_at

__all__ = ["ObjectState", "World", "describe", "render_timeline", "state_at"]
