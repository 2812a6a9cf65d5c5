"""The app's choices as JSON text and back: tuples, dicts keyed by tuples and persona sets survive
the trip (plain JSON would turn a tuple into a list, and a tuple key into nothing at all).

Only data is decoded: tagged objects name one of three shapes, never a class or a function to call.
"""

from __future__ import annotations

import json
from typing import Any

from persona_lab.errors import PersonaLabError
from persona_lab.personas.model import PersonaSet

_TUPLE, _ITEMS, _SET, _PERSONAS = "__tuple__", "__items__", "__set__", "__persona_set__"


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return {_TUPLE: [_plain(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {_SET: sorted((_plain(v) for v in value), key=repr)}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not any(k.startswith("__") for k in value):
            return {k: _plain(v) for k, v in value.items()}
        return {_ITEMS: [[_plain(k), _plain(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, PersonaSet):
        return {_PERSONAS: value.to_json()}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if hasattr(value, "item"):  # a numpy scalar, from a widget or a computed default
        return value.item()
    raise TypeError(f"cannot keep a {type(value).__name__} in a workspace")


def _restored(value: Any) -> Any:
    if isinstance(value, list):
        return [_restored(v) for v in value]
    if not isinstance(value, dict):
        return value
    if _TUPLE in value:
        return tuple(_restored(v) for v in value[_TUPLE])
    if _SET in value:
        return {_restored(v) for v in value[_SET]}
    if _ITEMS in value:
        return {_restored(k): _restored(v) for k, v in value[_ITEMS]}
    if _PERSONAS in value:
        return PersonaSet.from_json(value[_PERSONAS])
    return {k: _restored(v) for k, v in value.items()}


def dumps(value: Any) -> str:
    """``value`` as JSON text; equal values give equal text (so a change is a text change)."""
    return json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Any:
    """The value :func:`dumps` wrote; a damaged text raises the user-facing error."""
    try:
        return _restored(json.loads(text))
    except (ValueError, TypeError, KeyError) as exc:
        raise PersonaLabError(f"A stored workspace value cannot be read ({exc})",
                              fix="Delete the workspace or restore its file from an export") from exc
