"""Wall-clock benchmarks of the pipeline, each in a fresh temporary copy of the project.

Run ``python -m benchmarks`` from the repository root with the virtual
environment's Python (``make bench`` installs what the comparisons need first).
See ``benchmarks/README.md`` for what each row measures.
"""

from __future__ import annotations
