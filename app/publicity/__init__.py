"""Publicity notices and the public's objections (DOMAIN.md: Publicity and objections)."""
