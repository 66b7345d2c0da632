"""Lists of plain decimal numbers ("312.25,96;305.8,99.80;...") read with numpy, exactly as
Python's `float()` reads them and `repr()` prints them back.

CVAT files hold every vertex as text: a 50,000-polygon file has ~1.6 million numbers.  Reading
them one `float()` call at a time and printing each one's `repr` for the drawn shape's JSON cost
~0.35 s of a ~1 s import.  Here a whole block of point lists is one byte array, and:

* a number of at most 15 digits and no exponent is m / 10^k with m < 2^53 and 10^k exact
  (k <= 15), so one IEEE division gives the correctly rounded value -- the value `float()`
  returns (the classic exact case of decimal conversion);
* its `repr` is its own digits, written canonically: a decimal of at most 15 significant digits
  is the only one of at most 15 digits that rounds to its double, so it is the shortest text
  that reads back (which `repr` prints), in fixed notation between 1e-4 and 1e16.  Canonical
  means trailing zeros of the fraction dropped, ".0" when nothing is left or there was no point
  ("96.00" and "96" -> "96.0", "312.20" -> "312.2").

Only that grammar is taken: `-?(0|[1-9][0-9]*)(\\.[0-9]+)?`, at most 15 digits, not below 1e-4
unless zero-valued forms are absent; numbers are separated by "," or ";".  Anything else (an
exponent, a space, "+", ".5", "01", an empty number, a non-ASCII character) makes `read`
return None, and the caller reads the block with `float()` as before.
"""

from __future__ import annotations

import numpy as np

MAX_DIGITS = 15
_DIGIT, _DOT, _MINUS, _SEP, _END, _OTHER = 0, 1, 2, 3, 4, 5
_CLASS = np.full(256, _OTHER, np.int8)
_CLASS[ord("0"):ord("9") + 1] = _DIGIT
_CLASS[ord(".")] = _DOT
_CLASS[ord("-")] = _MINUS
_CLASS[ord(",")] = _SEP
_CLASS[ord(";")] = _SEP
_CLASS[ord("\n")] = _END
_POW10 = 10.0 ** np.arange(MAX_DIGITS + 1)  # exact doubles
_JSON_BYTE = np.arange(256, dtype=np.uint8)
_JSON_BYTE[ord(";")] = ord(",")


def read(texts: list[str]) -> tuple[np.ndarray, list[int], list[str]] | None:
    """(every number as float64, the count of numbers of each text, each text as a JSON list
    body of the numbers' reprs) -- or None when some text is not of the plain grammar."""
    if not texts:
        return np.zeros(0), [], []
    joined = "\n".join(texts)
    if not joined.isascii():
        return None
    b = np.frombuffer(joined.encode("ascii"), np.uint8)
    cls = _CLASS[b]
    if (cls == _OTHER).any():
        return None
    n = b.size
    is_sep = cls >= _SEP  # "," ";" or the end of a text
    sep = np.flatnonzero(is_sep)
    starts = np.empty(sep.size + 1, np.int64)
    starts[0] = 0
    starts[1:] = sep + 1
    ends = np.empty(sep.size + 1, np.int64)  # exclusive
    ends[:-1] = sep
    ends[-1] = n
    if (ends <= starts).any():  # an empty number
        return None
    is_digit = cls == _DIGIT
    # "-" only first, then a digit; "." between two digits, at most one per number
    minus = np.flatnonzero(cls == _MINUS)
    if minus.size:
        is_start = np.zeros(n, bool)
        is_start[starts] = True
        if not is_start[minus].all() or (minus + 1 >= n).any() or not is_digit[minus + 1].all():
            return None
    dot = np.flatnonzero(cls == _DOT)
    number = np.cumsum(is_sep)  # each byte's number (separators count with the next one)
    if dot.size:
        if (dot == 0).any() or (dot + 1 >= n).any():
            return None
        if not (is_digit[dot - 1].all() and is_digit[dot + 1].all()):
            return None
        if (np.diff(number[dot]) == 0).any():  # two points in one number
            return None
    neg = cls[starts] == _MINUS
    first = starts + neg  # the first digit
    # "0" followed by a digit: a leading zero ("01"), not the canonical form
    lead0 = (b[first] == ord("0")) & (first + 1 < ends)
    if lead0.any() and is_digit[np.minimum(first[lead0] + 1, n - 1)].any():
        return None
    has_dot = np.zeros(starts.size, bool)
    dot_at = ends.copy()  # where the fraction starts (the end when there is none)
    if dot.size:
        has_dot[number[dot]] = True
        dot_at[number[dot]] = dot
    digits = ends - starts - neg - has_dot
    if digits.max() > MAX_DIGITS:
        return None
    frac = np.where(has_dot, ends - dot_at - 1, 0)
    # below 1e-4 repr switches to an exponent ("0.0000x"): leave those to float()/repr
    tiny = has_dot & (dot_at - first == 1) & (b[first] == ord("0")) & (frac >= 4)
    if tiny.any():
        k = np.flatnonzero(tiny)
        lead = b[dot_at[k, None] + 1 + np.arange(4)]
        if (lead == ord("0")).all(axis=1).any():
            return None

    # the value: the digits as one integer m, then m / 10^frac
    dpos = np.flatnonzero(is_digit)
    dcount = np.cumsum(is_digit)  # digits up to and including each byte
    right = dcount[ends - 1][number[dpos]] - dcount[dpos]  # digits right of each digit
    place = (b[dpos] - ord("0")).astype(np.int64) * _POW10.astype(np.int64)[right]
    m = np.add.reduceat(place, np.searchsorted(dpos, starts))
    values = m.astype(np.float64) / _POW10[frac]
    values[neg] = -values[neg]

    # the reprs: drop the fraction's trailing zeros (keeping one digit), add ".0" to integers
    keep = np.ones(n, np.int64)
    if dot.size:
        at = np.arange(n)
        frac_byte = is_digit & (at > dot_at[number])
        nonzero = np.where(frac_byte & (b != ord("0")), at, -1)
        last = np.maximum.reduceat(nonzero, starts)  # the last nonzero fraction digit, or -1
        last = np.where(last < 0, dot_at + 1, last)  # all zeros: keep "x.0"
        keep[frac_byte & (at > last[number])] = 0
    whole = np.flatnonzero(~has_dot)
    keep[ends[whole] - 1] += 2  # room for ".0" after the last digit
    out = np.repeat(_JSON_BYTE[b], keep)
    if whole.size:
        at = np.cumsum(keep)[ends[whole] - 1]
        out[at - 2] = ord(".")
        out[at - 1] = ord("0")
    counts = np.diff(np.concatenate(([0], np.flatnonzero(cls[sep] == _END) + 1, [sep.size + 1])))
    return values, counts.tolist(), out.tobytes().decode("ascii").split("\n")
