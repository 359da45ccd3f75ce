"""The commands' one way to fail: a bad argument or an unreachable Redis is a one-line error
and exit status 1, never a traceback (``friendly_errors``, around each command)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from ..errors import cannot_reach_redis
from ..sites import SiteError
from ..store import STORAGE_ERRORS

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(command: F) -> F:
    """Turn a bad argument or an unreachable Redis into a one-line error, exit status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SiteError as exc:
            raise click.ClickException(str(exc)) from None
        except STORAGE_ERRORS as exc:
            raise click.ClickException(cannot_reach_redis(exc)) from None

    return wrapper  # type: ignore[return-value]
