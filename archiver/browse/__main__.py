"""For the plain ``datasette`` form:

    python -m archiver.browse metadata > captures/metadata.json
    python -m archiver.browse plugins-dir
"""

from __future__ import annotations

import json
import sys

from archiver.browse.metadata import metadata
from archiver.browse.serve import PLUGINS_DIR


def main(argv: list[str]) -> int:
    if argv == ["metadata"]:
        print(json.dumps(metadata(), indent=2))
        return 0
    if argv == ["plugins-dir"]:
        print(PLUGINS_DIR)
        return 0
    print("usage: python -m archiver.browse metadata|plugins-dir", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
