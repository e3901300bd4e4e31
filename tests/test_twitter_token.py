"""The syndication token must equal what V8 computes, digit for digit."""

from __future__ import annotations

import json
import math
import random
import shutil
import struct
import subprocess

import pytest

from archiver.platforms.twitter.patterns import TWITTER_EPOCH_MS
from archiver.platforms.twitter.token import double_to_radix_string, syndication_token

# Computed by node v20.20.2 with
#   ((Number(id) / 1e15) * Math.PI).toString(36).replace(/(0+|\.)/g, '')
NODE_PAIRS = [
    ("1612558357623734272", "3wq1xia8mn"),
    ("20", "6dq1a2xwd93"),
    ("1234567", "8fxoypd82b5"),
    ("1", "bhi2ay3f28n"),
    ("0", ""),
    ("9007199254740993", "saoujnx4as"),
    ("9223372036854775807", "mcw2svce2ao"),
    ("1000000000000000", "353i5ab8p5f"),
    ("1591514428093440000", "3uvw1hhnypp"),
    ("1811428389283594240", "4e2rq2qc8ag"),
    ("1612555453412143104", "3wpzq3tpxjt"),
    ("300000000000000", "xxg8sakly1"),
    ("2000000000000000000", "4uj6o5owj98"),
    ("18446744073709551615", "18ps5lqos4lc"),
    ("1612558357623734271", "3wq1xia8mn"),
]

NODE = shutil.which("node")
_JS_TOKENS = (
    "const ids = JSON.parse(process.argv[1]);"
    "console.log(JSON.stringify(ids.map(id =>"
    " ((Number(id) / 1e15) * Math.PI).toString(36).replace(/(0+|\\.)/g, ''))));"
)
_JS_RADIX = (
    "const xs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
    "console.log(JSON.stringify(xs.map(([x, r]) => x.toString(r))));"
)


@pytest.mark.parametrize(("tweet_id", "token"), NODE_PAIRS)
def test_hard_coded_node_pairs(tweet_id: str, token: str) -> None:
    assert syndication_token(tweet_id) == token


def test_sample_id() -> None:
    assert syndication_token("1612558357623734272") == "3wq1xia8mn"


def test_rejects_non_ids() -> None:
    for bad in ("", "12a", "-5", "1.5", "https://x.com/a/status/1"):
        with pytest.raises(ValueError):
            syndication_token(bad)


def test_whitespace_around_id_is_ignored() -> None:
    assert syndication_token(" 1612558357623734272\n") == "3wq1xia8mn"


def test_radix_string_simple_values() -> None:
    assert double_to_radix_string(0.5, 2) == "0.1"
    assert double_to_radix_string(255.0, 16) == "ff"
    assert double_to_radix_string(-255.5, 16) == "-ff.8"
    assert double_to_radix_string(35.0, 36) == "z"
    assert double_to_radix_string(0.0, 36) == "0"
    assert double_to_radix_string(math.inf, 36) == "Infinity"
    assert double_to_radix_string(math.nan, 36) == "NaN"
    with pytest.raises(ValueError):
        double_to_radix_string(1.0, 37)


def _ids() -> list[str]:
    rng = random.Random(20230109)
    ids = [pair[0] for pair in NODE_PAIRS]
    # Snowflakes from every moment of 2010-11 .. 2026, with random low bits.
    start_ms = TWITTER_EPOCH_MS
    end_ms = 1798761600000  # 2027-01-01
    for _ in range(1200):
        ms = rng.randrange(start_ms, end_ms)
        ids.append(str(((ms - TWITTER_EPOCH_MS) << 22) | rng.getrandbits(22)))
    # Pre-snowflake and small ids.
    ids += [str(rng.randrange(1, 10**k)) for k in range(1, 16) for _ in range(15)]
    ids += [str(n) for n in range(0, 60)]
    # 17-19 digit ids, including around powers of two where doubles get coarse.
    ids += [str(rng.randrange(10**16, 10**19)) for _ in range(500)]
    for exp in (53, 54, 59, 60, 61, 62, 63):
        ids += [str(2**exp + d) for d in (-2, -1, 0, 1, 2)]
    ids += [str(10**k + d) for k in range(14, 20) for d in (-1, 0, 1)]
    return list(dict.fromkeys(ids))


@pytest.mark.skipif(NODE is None, reason="node is not installed: only the hard-coded node pairs were checked")
def test_matches_node_for_many_ids() -> None:
    ids = _ids()
    assert len(ids) >= 1900
    assert NODE is not None
    result = subprocess.run(
        [NODE, "-e", _JS_TOKENS, json.dumps(ids)], capture_output=True, text=True, check=True, timeout=60
    )
    expected = json.loads(result.stdout)
    mismatches = [(i, e, syndication_token(i)) for i, e in zip(ids, expected) if syndication_token(i) != e]
    assert mismatches == []


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_radix_string_matches_node_for_arbitrary_doubles() -> None:
    # The port is general; check it beyond the token's narrow range of values.
    rng = random.Random(7)
    values: list[tuple[float, int]] = []
    while len(values) < 3000:
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(x) and x != 0:
            values.append((x, rng.choice((2, 3, 7, 16, 36))))
    values += [(rng.uniform(0, 10000), 36) for _ in range(2000)]
    values += [(2.0**53, 36), (2.0**53 + 2, 36), (1e21, 36), (5e-324, 36), (0.1, 3), (1e300, 36)]
    assert NODE is not None
    result = subprocess.run(
        [NODE, "-e", _JS_RADIX], input=json.dumps(values), capture_output=True, text=True, check=True, timeout=60
    )
    expected = json.loads(result.stdout)
    mismatches = [(x, r, e) for (x, r), e in zip(values, expected) if double_to_radix_string(x, r) != e]
    assert mismatches == []
