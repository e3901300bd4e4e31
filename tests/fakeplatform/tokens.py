"""Syndication tokens, computed by a real JavaScript engine.

The archiver ports the JS number-to-string algorithm to Python; the fake must not share
that port, or a bug in it would pass its own test. So expected tokens come from node,
once per batch of unseen ids, and are memoised for the process (they never change).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterable

NODE = shutil.which("node") or "/usr/bin/node"

_JS = r"""
const ids = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = {};
for (const id of ids) {
  out[id] = ((Number(id) / 1e15) * Math.PI).toString(36).replace(/(0+|\.)/g, '');
}
process.stdout.write(JSON.stringify(out));
"""

_cache: dict[str, str] = {}
_lock = threading.Lock()


def tokens_for(ids: Iterable[int | str]) -> dict[str, str]:
    """Token for each id (decimal strings), calling node only for ids not seen before."""
    wanted = [str(i) for i in ids]
    with _lock:
        missing = sorted({i for i in wanted if i not in _cache})
        if missing:
            proc = subprocess.run(
                [NODE, "-e", _JS], input=json.dumps(missing), capture_output=True, text=True, check=True, timeout=30
            )
            _cache.update(json.loads(proc.stdout))
        return {i: _cache[i] for i in wanted}


def token_for(post_id: int | str) -> str:
    return tokens_for([post_id])[str(post_id)]
