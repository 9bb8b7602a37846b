"""Word to PDF with LibreOffice in headless mode (the pack's Word papers, a Word paper's page count)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CONVERT_TIMEOUT = 120  # seconds for one document


class ConversionFailed(Exception):
    """LibreOffice could not turn the document into a PDF (the message says why)."""


def find_libreoffice(configured: str | None = None) -> str | None:
    """The soffice program: LSPBOT_LIBREOFFICE if set (and there), else `soffice` or `libreoffice` on the PATH."""
    if configured:
        return configured if Path(configured).is_file() or shutil.which(configured) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def word_to_pdf(content: bytes, suffix: str, program: str, *, timeout: float = CONVERT_TIMEOUT) -> bytes:
    """A Word document (`.docx` or `.doc`) as PDF. Each conversion has its own LibreOffice profile, so conversions
    in parallel (threads, replicas) do not share one and block each other."""
    with tempfile.TemporaryDirectory(prefix="lspbot-convert-") as work:
        folder = Path(work)
        source = folder / f"paper{suffix}"
        source.write_bytes(content)
        profile = (folder / "profile").as_uri()
        try:
            done = subprocess.run(
                [program, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
                 "--outdir", str(folder), str(source)],
                capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ConversionFailed(f"LibreOffice took more than {timeout:.0f} s") from None
        except OSError as exc:
            raise ConversionFailed(f"LibreOffice could not be started ({exc.strerror})") from None
        target = folder / "paper.pdf"
        if done.returncode != 0 or not target.is_file():
            said = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
            raise ConversionFailed(said[-1] if said else f"LibreOffice exited with {done.returncode}")
        return target.read_bytes()
