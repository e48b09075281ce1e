"""YAML of the content folder (front matter, the catalogue, categories), parsed the safe way.

libyaml's parser where PyYAML was built with it (the wheels are): the same safe constructor, about
ten times faster than the pure-Python one, which took tens of milliseconds per catalogue read."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YAMLError = yaml.YAMLError


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, C or Python
