"""The role each publisher endpoint needs, declared where the endpoint is defined.

A key of a site has one role: ``viewer`` reads, ``editor`` also changes, ``admin`` also
manages keys and webhooks (``../shared/API.md``, "key"). Every publisher route says which
it needs with ``@needs(Role.X)`` under its ``@bp.get(...)``; ``auth.require_publisher``
reads that declaration, and a route without one is refused to every key (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = "needs_role"


class Role(IntEnum):
    """A key's role; a higher role may do everything a lower one may."""

    VIEWER = 1
    EDITOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()


def needs(role: Role) -> Callable[[F], F]:
    """Declare the role a publisher route needs (put it under the route's decorator)."""

    def declare(view: F) -> F:
        setattr(view, ATTRIBUTE, role)
        return view

    return declare


def declared_role(view: Callable[..., Any] | None) -> Role | None:
    """Return the role a view declared with ``needs``, or None."""
    return getattr(view, ATTRIBUTE, None)
