"""Tables as tab-separated text, formatted by a numba kernel rather than pandas.

What ``DataFrame.to_csv`` writes with a tab separator and a ``float_format``, without one
Python ``%`` per value.

``senox simulate --cohort 1000`` writes about 12 million numbers; pandas took 11 s to format
them (about 1 µs each, half of the command's 21 s). Here each number is formatted into a
fixed-width slot in parallel and the rows are assembled in one pass: 1.0 s for the same table.

The text is pandas' own, character for character, for the tables senox writes (checked in
``tests/fileio/test_tsv.py``): floats as C's ``%.{digits}g`` (round half to even on the
decimal digits), NaN as an empty field, integers and booleans as pandas prints them, strings
as they are. Anything else -- other dtypes, strings that pandas would quote (holding a tab,
quote or line break) -- is handed to pandas.

Why not a library (``python benchmarks/bench_libraries.py --only tsv``, medians of 5
interleaved writes to a file, one run on 2 loaded cores, 2026-12-06; polars 2.1.0, pyarrow
26.0.1, pandas 2.3.3). On ``senox simulate --cohort 900``'s trajectories (486,000 x 25): this
writer 5.1 s, pandas ``to_csv`` 33.6 s (6.5x). polars ``write_csv`` takes 2.3 s and pyarrow's
4.4 s, but only by writing every float at full precision (up to 17 digits; 171 and 164 MB
against 87 MB); neither has a significant-digits option. Rounded to 6 significant digits by
numpy first, they are slower than this writer (5.9 s and 6.1 s) and still not the same
values: rounding by a scaled multiplication misses the correctly rounded double for some
values (by up to 5e-16 relative, 96 MB of text). On a ``senox score`` table (100,000 x 12,
observation names and scores) polars with that rounding is faster (0.33 s against 0.97 s)
and reads back the same values; 0.6 s there does not pay for a second writer. Decision: keep
this one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numba
import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

#: Bytes of one number's slot: at most 17 formatted (sign, 10 digits, point, ``e-308``) and
#: the 10 digits worked out at its end.
_WIDTH = 28
_FLOAT, _INT, _TEXT = 0, 1, 2
_QUOTED = ("\t", '"', "\n", "\r")


@numba.njit(nogil=True, cache=True)
def _digits(m: int, count: int, buffer: NDArray[np.uint8]) -> None:  # pragma: no cover
    """The ``count`` decimal digits of ``m`` into ``buffer[:count]``."""
    for i in range(count - 1, -1, -1):
        buffer[i] = 48 + m % 10
        m //= 10


#: The powers of ten that are exact doubles.
_POWERS = np.array([10.0**k for k in range(23)])
#: What :func:`_format_g` returns for a number it leaves to Python's ``%`` formatting.
_DECLINED = -1


@numba.njit(nogil=True, cache=True)
def _scaled(a: float, shift: int) -> tuple[float, int]:  # pragma: no cover (compiled)
    """``a * 10**shift`` by exact powers of ten (at most ``10**22`` each), and how many."""
    steps = 1
    while shift > 22:
        a *= _POWERS[22]
        shift -= 22
        steps += 1
    while shift < -22:
        a /= _POWERS[22]
        shift += 22
        steps += 1
    return (a * _POWERS[shift] if shift >= 0 else a / _POWERS[-shift]), steps


@numba.njit(nogil=True, cache=True)
def _format_g(x: float, precision: int, slot: NDArray[np.uint8]) -> int:  # pragma: no cover
    """C's ``%.{precision}g`` of ``x`` into ``slot``; returns its length (0 for NaN).

    The ``precision`` significant digits ``m`` are the nearest integer to ``|x| * 10**shift``,
    computed with one correctly rounded multiplication or division by an exact power of ten
    (more, for numbers beyond about ``1e-17`` and ``1e27`` at 6 digits). With one rounding,
    ``m`` is exactly C's rounding unless the product lands on a half, which may be the
    rounding's doing; with more, unless it lands within a unit in the last place per rounding
    of one. Those few numbers are declined (``_DECLINED``) and formatted by Python.

    The digits are worked out at the end of ``slot`` first; the formatted number, at most 17
    bytes, does not reach them for ``precision <= 10``.
    """
    if x != x:
        return 0
    n = 0
    if x < 0.0 or (x == 0.0 and math.copysign(1.0, x) < 0.0):
        slot[0] = 45  # '-'
        n = 1
    a = abs(x)
    if a == 0.0:
        slot[n] = 48
        return n + 1
    if a == math.inf:
        slot[n], slot[n + 1], slot[n + 2] = 105, 110, 102  # 'inf'
        return n + 3
    e = math.floor(math.log10(a))
    low, high = 10 ** (precision - 1), 10**precision
    m = low
    for _ in range(3):  # log10 may be one off near a power of ten
        s, steps = _scaled(a, precision - 1 - e)
        m = math.floor(s)
        # one rounding: only an exact half is in doubt; more: within one unit per rounding
        doubt = 0.0 if steps == 1 else steps * 2.3e-16 * s
        if abs(s - m - 0.5) <= doubt:
            return _DECLINED
        if s - m > 0.5:
            m += 1
        if m >= high and s < high:  # rounds up to the next power of ten
            m = low
            e += 1
            break
        if m >= high:
            e += 1
        elif m < low:
            e -= 1
        else:
            break
    start = slot.shape[0] - precision
    _digits(m, precision, slot[start:])
    used = precision
    while used > 1 and slot[start + used - 1] == 48:  # %g drops trailing zeros
        used -= 1
    if e < -4 or e >= precision:
        slot[n] = slot[start]
        n += 1
        if used > 1:
            slot[n] = 46  # '.'
            n += 1
            for i in range(1, used):
                slot[n] = slot[start + i]
                n += 1
        slot[n] = 101  # 'e'
        slot[n + 1] = 45 if e < 0 else 43
        n += 2
        width = 3 if abs(e) >= 100 else 2
        _digits(abs(e), width, slot[n : n + width])
        return n + width
    if e < 0:
        slot[n], slot[n + 1] = 48, 46  # '0.'
        n += 2
        for _ in range(-e - 1):
            slot[n] = 48
            n += 1
        for i in range(used):
            slot[n] = slot[start + i]
            n += 1
        return n
    for i in range(e + 1):
        slot[n] = slot[start + i]
        n += 1
    if used > e + 1:
        slot[n] = 46
        n += 1
        for i in range(e + 1, used):
            slot[n] = slot[start + i]
            n += 1
    return n


@numba.njit(nogil=True, cache=True)
def _format_int(v: int, slot: NDArray[np.uint8]) -> int:  # pragma: no cover
    n = 0
    if v < 0:
        slot[0] = 45
        n = 1
        v = -v
    count = 1
    rest = v // 10
    while rest:
        count += 1
        rest //= 10
    _digits(v, count, slot[n : n + count])
    return n + count


@numba.njit(parallel=True, nogil=True, cache=True)
def _format_columns(
    numbers: NDArray[np.float64],
    integers: NDArray[np.int64],
    kinds: NDArray[np.int64],
    precision: int,
    text: NDArray[np.uint8],
    text_offsets: NDArray[np.int64],
    slots: NDArray[np.uint8],
    lengths: NDArray[np.int64],
) -> None:  # pragma: no cover (compiled)
    """Every field of every row into ``slots[row, column]``; texts are codes into ``text``."""
    rows, columns = numbers.shape[0], kinds.shape[0]
    for r in numba.prange(rows):
        for c in range(columns):
            slot = slots[r, c]
            if kinds[c] == _FLOAT:
                lengths[r, c] = _format_g(numbers[r, c], precision, slot)
            elif kinds[c] == _INT:
                lengths[r, c] = _format_int(integers[r, c], slot)
            else:
                code = integers[r, c]
                start, stop = text_offsets[code], text_offsets[code + 1]
                lengths[r, c] = stop - start
                for i in range(stop - start):
                    slot[i] = text[start + i]


@numba.njit(parallel=True, nogil=True, cache=True)
def _join(
    slots: NDArray[np.uint8],
    lengths: NDArray[np.int64],
    offsets: NDArray[np.int64],
    out: NDArray[np.uint8],
) -> None:  # pragma: no cover (compiled)
    """Rows of tab-separated fields, each ended by a line feed, into ``out`` at ``offsets``."""
    rows, columns = lengths.shape
    for r in numba.prange(rows):
        at = offsets[r]
        for c in range(columns):
            for i in range(lengths[r, c]):
                out[at + i] = slots[r, c, i]
            at += lengths[r, c]
            out[at] = 9 if c < columns - 1 else 10
            at += 1


def _column(series: pd.Series) -> tuple[int, NDArray[np.int64], list[str]] | None:
    """How a column is written: its kind, and for text its codes and words; None: by pandas."""
    import pandas as pd

    dtype = series.dtype
    empty = np.empty(0, dtype=np.int64)
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return _FLOAT, empty, []
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        # the kernel cannot negate int64's most negative value, nor hold more than int64
        inside = series.size == 0 or -(2**63) < series.min() <= series.max() < 2**63
        return (_INT, empty, []) if inside else None
    textual = dtype.kind in "bOUS" if isinstance(dtype, np.dtype) else str(dtype) in (
        "string", "category"
    )  # fmt: skip
    if not textual:  # other extension types (nullable integers...), dates...: left to pandas
        return None
    codes, uniques = pd.factorize(series)
    words = [str(u) for u in uniques]  # booleans as pandas prints them: True, False
    if (codes < 0).any() or not (dtype.kind == "b" or all(isinstance(u, str) for u in uniques)):
        return None  # missing values or non-strings in an object column
    return _TEXT, codes.astype(np.int64), words


#: Bytes of work space for one chunk of rows (rows x columns x slot bytes).
CHUNK_BYTES = 32 * 2**20


def tsv_text(frame: pd.DataFrame, digits: int = 6) -> str:
    """``frame.to_csv(sep=TAB, index=False, float_format=f"%.{digits}g")``, fast.

    ``digits``: significant digits of floats, 1 to 10.
    """
    import pandas as pd

    if not 1 <= digits <= 10:
        msg = f"digits: {digits} is not in 1..10"
        raise ValueError(msg)
    names = [str(c) for c in frame.columns]
    columns = [_column(frame[c]) for c in frame.columns]
    words = {w for c in columns if c is not None for w in c[2]}
    if (
        not names
        or isinstance(frame.columns, pd.MultiIndex)
        or None in columns
        or any(ch in word for word in [*names, *words] for ch in _QUOTED)
    ):
        return frame.to_csv(sep="\t", index=False, float_format=f"%.{digits}g")
    vocabulary = {word: k for k, word in enumerate(sorted(words))}
    rows = frame.shape[0]
    numbers = np.zeros((rows, len(names)))
    integers = np.zeros((rows, len(names)), dtype=np.int64)
    kinds = []
    for k, (name, column) in enumerate(zip(frame.columns, columns, strict=True)):
        assert column is not None
        kind, codes, column_words = column
        kinds.append(kind)
        if kind == _FLOAT:
            numbers[:, k] = frame[name].to_numpy(dtype=np.float64)
        elif kind == _INT:
            integers[:, k] = frame[name].to_numpy(dtype=np.int64)
        elif rows:
            integers[:, k] = np.array([vocabulary[w] for w in column_words])[codes]
    encoded = [word.encode("utf-8") for word in vocabulary]
    text = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
    text_offsets = np.concatenate([[0], np.cumsum([len(w) for w in encoded])]).astype(np.int64)
    width = max([_WIDTH, *(len(w) for w in encoded)])
    kind_codes = np.array(kinds, dtype=np.int64)
    pieces = ["\t".join(names) + "\n"]
    chunk = max(1024, CHUNK_BYTES // (len(names) * width))
    for start in range(0, rows, chunk):
        block = slice(start, start + chunk)
        rows = numbers[block].shape[0]
        slots = np.empty((rows, len(names), width), dtype=np.uint8)
        lengths = np.zeros((rows, len(names)), dtype=np.int64)
        _format_columns(
            numbers[block], integers[block], kind_codes, digits, text, text_offsets, slots, lengths
        )
        for r, c in zip(*np.nonzero(lengths == _DECLINED), strict=True):
            field = (f"%.{digits}g" % numbers[start + r, c]).encode("ascii")
            slots[r, c, : len(field)] = np.frombuffer(field, dtype=np.uint8)
            lengths[r, c] = len(field)
        row_lengths = lengths.sum(axis=1) + len(names)
        offsets = np.concatenate([[0], np.cumsum(row_lengths)[:-1]]).astype(np.int64)
        body = np.empty(int(row_lengths.sum()), dtype=np.uint8)
        _join(slots, lengths, offsets, body)
        pieces.append(body.tobytes().decode("utf-8"))
    return "".join(pieces)
