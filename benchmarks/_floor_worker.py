"""The floor: WeasyPrint alone rendering print documents, nothing of the pipeline imported.

Run as a script: ``python _floor_worker.py DOCS_DIR OUT_DIR NAME.html...``. It
imports WeasyPrint, makes one FontConfiguration, and renders each document
with ``HTML(string=..., base_url=...).write_pdf(pdf_variant=...)``, the
variant the pipeline uses (read from ``documents.json``). It prints a JSON
line with its own timings (import, each document) for the report.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def main(argv: list[str]) -> int:
    docs_dir, out = Path(argv[0]), Path(argv[1])
    names = argv[2:]
    index = json.loads((docs_dir / "documents.json").read_text(encoding="utf-8"))
    base_urls = {doc["html"]: doc["base_url"] for doc in index["documents"]}
    variant = index["pdf_variant"]

    before_import = time.perf_counter()
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    imported = time.perf_counter()
    seconds: dict[str, float] = {}
    for name in names:
        started = time.perf_counter()
        document = (docs_dir / name).read_text(encoding="utf-8")
        pdf = HTML(string=document, base_url=base_urls[name]).write_pdf(
            font_config=font_config, pdf_variant=variant
        )
        assert pdf is not None
        (out / (name.removesuffix(".html") + ".pdf")).write_bytes(pdf)
        seconds[name] = time.perf_counter() - started
    print(
        json.dumps(
            {
                "startup": before_import - STARTED,
                "import": imported - before_import,
                "documents": seconds,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
