"""WeasyPrint alone, warm: one print document rendered again and again in one process.

Run as a script: ``python _warm_render.py DOCS_DIR NAME.html N``. It imports
WeasyPrint, makes one FontConfiguration, renders the document once untimed
(what a long-lived process has done before its first rebuild), then N times,
and prints the N timings as a JSON list. Nothing of the pipeline is imported.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    docs_dir, name, renders = Path(argv[0]), argv[1], int(argv[2])
    index = json.loads((docs_dir / "documents.json").read_text(encoding="utf-8"))
    base_url = next(doc["base_url"] for doc in index["documents"] if doc["html"] == name)
    document = (docs_dir / name).read_text(encoding="utf-8")

    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    seconds: list[float] = []
    for number in range(renders + 1):
        started = time.perf_counter()
        pdf = HTML(string=document, base_url=base_url).write_pdf(
            font_config=font_config, pdf_variant=index["pdf_variant"]
        )
        assert pdf
        if number:
            seconds.append(time.perf_counter() - started)
    print(json.dumps(seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
