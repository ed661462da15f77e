"""Exploration: many runs of one scenario under different schedules, shrinking, replay files.

- ``strategies``: the choosers a campaign draws schedules from (seeded random, PCT);
- ``campaign``: run schedules until the expectation breaks or the budget is spent;
- ``shrink``: make a failing schedule smaller while it still fails;
- ``replay``: the replay file that ``emu run`` reproduces exactly.
"""

from emu.explore.campaign import Campaign, CampaignResult, explore
from emu.explore.replay import load_replay, write_replay
from emu.explore.strategies import PctChooser, make_chooser

__all__ = [
    "Campaign",
    "CampaignResult",
    "PctChooser",
    "explore",
    "load_replay",
    "make_chooser",
    "write_replay",
]
