"""Write the print documents of a cold build exactly as the pipeline hands them to WeasyPrint.

Run as a script, in the project folder: ``python _print_documents.py OUT_DIR``.
It plans a forced build with the pipeline's own code and calls its own
:func:`pipeline.build.jobs.render_target` for every PDF target, with a renderer that
records the document (from :func:`pipeline.render.pdf.render_print_html`) and
its base URL instead of laying it out; the published images a brochure shows,
which the build's fetcher serves from memory, are written under
``OUT_DIR/published/`` and the base URL points there. ``OUT_DIR/documents.json`` lists them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)

    from pipeline.build import BuildOptions, BuildReport, Manifest
    from pipeline.build import plan as planning
    from pipeline.build.inputs import InputFiles
    from pipeline.build.jobs import render_target
    from pipeline.project import load_config
    from pipeline.render.pdf import PDF_VARIANT, PUBLISHED_ROOT, PdfRenderer

    recorded: list[tuple[str, str]] = []

    class Recorder(PdfRenderer):
        def write(
            self,
            document: str,
            *,
            base_url: str | None = None,
            source_lang: str | None = None,
            shared_css: str = "",
        ) -> bytes:
            # The whole document, its stylesheet inline: WeasyPrint alone parses it each time.
            recorded.append((document, base_url or ""))
            return b""

    config = load_config(Path.cwd())
    report = BuildReport()
    files = InputFiles(config)
    plan = planning.make_plan(config, BuildOptions(force=True), files, Manifest(), report)
    state: dict[str, Any] = {"pdf": Recorder(root=plan.context.root)}
    documents: list[dict[str, Any]] = []
    published = out / "published"
    for job in plan.pdf_jobs:
        render_target(job, plan.context, state)
        document, base_url = recorded.pop()
        if base_url.startswith(PUBLISHED_ROOT):
            # The build's fetcher serves the published images from memory; WeasyPrint alone
            # reads them from disk, at the same paths.
            for path, data in job.files:
                (published / path).parent.mkdir(parents=True, exist_ok=True)
                (published / path).write_bytes(data)
            base_url = (published / base_url[len(PUBLISHED_ROOT) :]).as_uri() + "/"
        name = job.target.path.replace("/", "__").removesuffix(".pdf") + ".html"
        (out / name).write_text(document, encoding="utf-8")
        documents.append(
            {
                "html": name,
                "target": job.target.path,
                "base_url": base_url,
                "bytes": len(document.encode("utf-8")),
            }
        )
    index = {"pdf_variant": PDF_VARIANT, "documents": documents}
    (out / "documents.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
