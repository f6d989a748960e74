"""Preprocessing: make an AnnData's genes the human symbols senox's programs are written in."""

from __future__ import annotations

from senox.pp._to_human import to_human

__all__ = ["to_human"]
