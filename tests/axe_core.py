"""axe-core, the accessibility engine the page tests inject into Chromium.

Fetched from the npm registry as the package's tarball, pinned by version and
checked against the registry's sha512 integrity before anything is unpacked;
only ``axe.min.js`` is kept, under ``.venv/`` (``make clean`` removes it).
Needs neither node nor npm: the script runs in the browser.

    python tests/axe_core.py      # what ``make test`` runs before pytest
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from pathlib import Path

VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = (
    "sha512-"
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
"""``npm view axe-core@4.14.1 dist.integrity``."""
SCRIPT = Path(__file__).resolve().parent.parent / ".venv" / f"axe-core-{VERSION}" / "axe.min.js"


def verified(data: bytes, integrity: str = INTEGRITY) -> bytes:
    """``data`` if its sha512 is the one npm published (Subresource Integrity form), else raise."""
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode("ascii")
    if algorithm != "sha512" or digest != expected:
        raise ValueError(f"{TARBALL}: integrity {algorithm}-{digest} is not {integrity}")
    return data


def axe_script(path: Path = SCRIPT) -> Path:
    """The path of ``axe.min.js``, fetched and verified first when it is not there yet."""
    if path.is_file():
        return path
    with urllib.request.urlopen(TARBALL, timeout=60) as response:
        data = verified(response.read())
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise ValueError(f"{TARBALL}: no package/axe.min.js")
        script = member.read()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(script)
    partial.replace(path)
    return path


if __name__ == "__main__":
    print(axe_script())
