"""Demonstration zones (示范区项目): the registry, the lifecycle, re-reviews, open data."""
