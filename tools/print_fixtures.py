"""Print the documents the PDF reader's tests read to PDF, with LibreOffice, into tests/fixtures/printed/.

    python tools/print_fixtures.py

The tests read these PDFs, not a fresh print: printing the two budget sections took 16 s of the suite's time
and needed LibreOffice (a 300 MB Debian install) on every machine that runs it. ``printed.json`` records, for
each PDF, the source it was printed from (with the source's sha256, which a test compares with the file in the
repository today) and the LibreOffice that printed it; run this again whenever a source changes, then review
what the PDF tests say.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "printed"
SOURCES = ("data/sources/un-documents/A_80_6_Sect.16.docx", "data/sources/un-documents/A_80_6_Sect.24.docx",
           "data/sources/cnd65-crp-itwg-inaugural-meeting.txt")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    soffice = shutil.which("soffice")
    if soffice is None:
        print("print_fixtures: LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui",
              file=sys.stderr)
        return 2
    version = subprocess.run([soffice, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        profile = Path(scratch) / "profile"  # its own profile: the user's settings never change the print
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", scratch, *(str(ROOT / s) for s in SOURCES)], check=True, capture_output=True,
                       timeout=600, env={**os.environ, "HOME": str(profile)})
        manifest = {}
        for source in SOURCES:
            pdf = Path(scratch) / (Path(source).stem + ".pdf")
            shutil.copyfile(pdf, OUT / pdf.name)
            manifest[pdf.name] = {"source": source, "source_sha256": sha256(ROOT / source),
                                  "pdf_sha256": sha256(OUT / pdf.name), "printed_by": version}
    (OUT / "printed.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"printed {len(SOURCES)} documents into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
