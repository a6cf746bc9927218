"""WeasyPrint alone, warm: one print document rendered on request by one long-lived process.

Run as a script: ``python _warm_render.py DOCS_DIR NAME.html``. It imports
WeasyPrint, makes one FontConfiguration and renders the document once untimed
(what a long-lived process has done before its first rebuild). Then, for each
line read on stdin, it renders the document again and prints the seconds it took,
so that the suite can time it right beside each measurement it compares it with.
Nothing of the pipeline is imported.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    docs_dir, name = Path(argv[0]), argv[1]
    index = json.loads((docs_dir / "documents.json").read_text(encoding="utf-8"))
    base_url = next(doc["base_url"] for doc in index["documents"] if doc["html"] == name)
    document = (docs_dir / name).read_text(encoding="utf-8")

    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()

    def render() -> float:
        started = time.perf_counter()
        pdf = HTML(string=document, base_url=base_url).write_pdf(
            font_config=font_config, pdf_variant=index["pdf_variant"]
        )
        assert pdf
        return time.perf_counter() - started

    render()
    print("ready", flush=True)
    for _ in sys.stdin:
        print(f"{render():.6f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
