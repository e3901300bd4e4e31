"""The ``token`` parameter of the syndication API (``cdn.syndication.twimg.com``).

The token is computed by the embed client in JavaScript::

    ((Number(id) / 1e15) * Math.PI).toString(36).replace(/(0+|\\.)/g, '')

The base-36 rendering of a *fraction* is implementation-defined in ECMAScript,
so matching the server means matching V8 digit for digit: this is a port of
V8's ``DoubleToRadixCString`` (src/numbers/conversions.cc). A plain "convert
the fraction to base 36" loop differs from V8 in the last digit for many ids.
"""

from __future__ import annotations

import math
import re

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_STRIP = re.compile(r"(0+|\.)")
_ID = re.compile(r"[0-9]+")
_TWO_53 = 2.0**53
_MIN_DENORMAL = math.nextafter(0.0, 1.0)


def double_to_radix_string(value: float, radix: int) -> str:
    """``Number.prototype.toString(radix)`` as V8 computes it, for radix 2–36."""
    if not 2 <= radix <= 36:
        raise ValueError(f"radix must be 2..36, not {radix}")
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        # V8 answers 0 (and -0) on a fast path before DoubleToRadixCString.
        return "0"

    negative = value < 0
    if negative:
        value = -value

    # A double, as in V8: the integer loop below divides in floating point.
    integer = float(math.floor(value))
    fraction = value - integer
    # Fraction digits are only produced up to the precision of the input
    # double: half the gap to the next representable double.
    delta = max(_MIN_DENORMAL, 0.5 * (math.nextafter(value, math.inf) - value))

    fraction_digits: list[int] = []
    if fraction >= delta:
        while True:
            fraction *= radix
            delta *= radix
            digit = int(fraction)
            fraction_digits.append(digit)
            fraction -= digit
            # Round half to even on the last digit written.
            if fraction > 0.5 or (fraction == 0.5 and (digit & 1)):
                if fraction + delta > 1:
                    # Carry back through already written digits; a digit at
                    # radix-1 is dropped (it would become 0, a trailing zero).
                    while True:
                        if not fraction_digits:
                            integer += 1
                            break
                        last = fraction_digits.pop()
                        if last + 1 < radix:
                            fraction_digits.append(last + 1)
                            break
                    break
            if not fraction >= delta:
                break

    integer_digits: list[str] = []
    # Above 2**53 the double has no units digit of its own: V8 writes zeros
    # for the unrepresented low digits rather than inventing them.
    while math.frexp(integer / radix)[1] > 53:
        integer /= radix
        integer_digits.append("0")
    while True:
        remainder = math.fmod(integer, radix)
        integer_digits.append(_DIGITS[int(remainder)])
        integer = (integer - remainder) / radix
        if not integer > 0:
            break

    text = "".join(reversed(integer_digits))
    if fraction_digits:
        text += "." + "".join(_DIGITS[d] for d in fraction_digits)
    return "-" + text if negative else text


def syndication_token(tweet_id: str) -> str:
    """The token the syndication API expects for ``tweet_id`` (decimal digits)."""
    tweet_id = tweet_id.strip()
    if not _ID.fullmatch(tweet_id):
        raise ValueError(f"not a post id: {tweet_id!r}")
    try:
        # float(int(...)) rounds to nearest like JS Number("..."); float("...")
        # would too, but int() first keeps leading zeros and huge ids exact.
        number = float(int(tweet_id))
    except OverflowError:
        number = math.inf  # what Number() gives for a 309+ digit string
    value = (number / 1e15) * math.pi
    return _STRIP.sub("", double_to_radix_string(value, 36))
