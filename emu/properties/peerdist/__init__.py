"""BranchCache's properties (peerdist.dll's calls): the service's guarantees (``guarantees``),
the client rules read off the trace (``client``), the rule the surface records inline
(``rules``), and the records of sessions and operations they share (``records``). Each module
registers its catalogue entries when ``emu.properties.catalogue`` loads it."""
