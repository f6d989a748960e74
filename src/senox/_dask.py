"""Connecting to a ``dask.distributed`` scheduler, for scoring and for simulation ensembles."""

from __future__ import annotations

import socket
from typing import Any

from senox._errors import InputError

#: Seconds to wait for a well-formed scheduler address to answer.
CONNECT_TIMEOUT_S = 5
#: The address forms senox accepts, as dask.distributed parses them.
ADDRESS_FORMS = "tcp://HOST:PORT, HOST:PORT, tls://HOST:PORT, ucx://HOST:PORT or inproc://IP/PID/N"


def check_address(scheduler: str) -> None:
    """Refuse a scheduler address dask.distributed cannot parse, or whose host is unknown."""
    try:
        from distributed.comm import parse_address, parse_host_port
        from distributed.comm.registry import get_backend
    except ImportError as exc:
        msg = "--scheduler needs dask.distributed: pip install 'senox[dask]'"
        raise InputError(msg) from exc
    scheme, location = parse_address(scheduler)
    try:
        backend = get_backend(scheme)
        if scheme == "inproc":  # a scheduler in this process: IP/PID/N, checked by dask
            backend.get_address_host(location)
            return
        host, port = parse_host_port(location)
    except ValueError:
        host, port = "", 0
    if not host or not 0 < port < 2**16:
        msg = f"--scheduler {scheduler!r}: not a dask scheduler address; give {ADDRESS_FORMS}"
        raise InputError(msg)
    try:
        socket.getaddrinfo(host, port)
    except (OSError, UnicodeError):
        msg = f"--scheduler {scheduler!r}: unknown host {host!r}; check the host name"
        raise InputError(msg) from None


def client_for(scheduler: str | None) -> Any:
    """A ``distributed.Client`` for a scheduler address (``tcp://host:8786``), or None.

    The address is checked first (:func:`check_address`); a scheduler that does not answer
    within :data:`CONNECT_TIMEOUT_S` seconds is refused.
    """
    if scheduler is None:
        return None
    check_address(scheduler)
    from distributed import Client

    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except OSError:
        msg = (
            f"--scheduler {scheduler!r}: no dask scheduler answered within {CONNECT_TIMEOUT_S} s; "
            "start it, or check the address and port"
        )
        raise InputError(msg) from None
