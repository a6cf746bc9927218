"""Peak memory of a build: run the CLI in this process, then read getrusage.

Run as a script, in the project folder: ``python _rss_wrapper.py RESULT.json
build --force ...``. The build's worker processes are its children, reaped
when the pool shuts down, so ``RUSAGE_CHILDREN`` gives the largest worker's
peak RSS and ``RUSAGE_SELF`` the main process's (both in KiB on Linux).
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    result = Path(argv[0])
    from pipeline.cli import main as cli

    code = cli(argv[1:])
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result.write_text(
        json.dumps({"exit": code, "main_kib": own, "largest_child_kib": children}),
        encoding="utf-8",
    )
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
