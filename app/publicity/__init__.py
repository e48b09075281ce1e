"""Publicity notices and the public's objections (docs/domain.md: Publicity and objections)."""
