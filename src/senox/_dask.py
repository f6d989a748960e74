"""Connecting to a ``dask.distributed`` scheduler, for scoring and for simulation ensembles."""

from __future__ import annotations

from typing import Any

from senox._errors import InputError


def client_for(scheduler: str | None) -> Any:
    """A ``distributed.Client`` for a scheduler address (``tcp://host:8786``), or None."""
    if scheduler is None:
        return None
    try:
        from distributed import Client
    except ImportError as exc:
        msg = "a scheduler address needs dask.distributed: pip install 'senox[dask]'"
        raise InputError(msg) from exc
    try:
        return Client(scheduler, timeout=10)
    except OSError as exc:
        msg = f"cannot reach the dask scheduler at {scheduler} ({exc}); check the address"
        raise InputError(msg) from None
