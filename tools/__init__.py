"""Developer tools that are not part of emu: mutation testing (docs/mutation.md)."""
