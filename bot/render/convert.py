"""Word to PDF with LibreOffice in headless mode (the pack's Word papers, a Word paper's page count).

LibreOffice takes a second or two to start and little more per document, so the pack's Word papers are converted
by one process together (`words_to_pdf`), not one process each."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

CONVERT_TIMEOUT = 120  # seconds for one document
EACH_MORE = 30  # seconds more for each further document converted in the same run

log = logging.getLogger("lspbot.convert")


class ConversionFailed(Exception):
    """LibreOffice could not turn the document into a PDF (the message says why)."""


def find_libreoffice(configured: str | None = None) -> str | None:
    """The soffice program: LSPBOT_LIBREOFFICE if set (and there), else `soffice` or `libreoffice` on the PATH."""
    if configured:
        return configured if Path(configured).is_file() or shutil.which(configured) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def word_to_pdf(content: bytes, suffix: str, program: str, *, timeout: float = CONVERT_TIMEOUT) -> bytes:
    """A Word document (`.docx` or `.doc`) as PDF; ConversionFailed says why not."""
    (converted,) = words_to_pdf([(content, suffix)], program, timeout=timeout)
    if isinstance(converted, ConversionFailed):
        raise converted
    return converted


def words_to_pdf(documents: Sequence[tuple[bytes, str]], program: str, *,
                 timeout: float = CONVERT_TIMEOUT) -> list[bytes | ConversionFailed]:
    """Word documents (content, `.docx` or `.doc`) as PDFs, in order, converted by one LibreOffice process; a
    document it could not convert is a ConversionFailed in its place. The run has its own LibreOffice profile, so
    runs in parallel (threads, replicas) do not share one and block each other."""
    if not documents:
        return []
    with tempfile.TemporaryDirectory(prefix="lspbot-convert-") as work:
        folder = Path(work)
        sources = []
        for index, (content, suffix) in enumerate(documents):
            source = folder / f"paper-{index}{suffix if suffix in ('.docx', '.doc') else '.docx'}"
            source.write_bytes(content)
            sources.append(source)
        out = folder / "pdf"
        profile = (folder / "profile").as_uri()
        limit = timeout + EACH_MORE * (len(documents) - 1)
        try:
            done = subprocess.run(
                [program, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
                 "--outdir", str(out), *map(str, sources)],
                capture_output=True, timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            return [ConversionFailed(f"LibreOffice took more than {limit:.0f} s")] * len(documents)
        except OSError as exc:
            return [ConversionFailed(f"LibreOffice could not be started ({exc.strerror})")] * len(documents)
        said = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        results: list[bytes | ConversionFailed] = []
        for source in sources:
            target = out / f"{source.stem}.pdf"
            if target.is_file():
                results.append(target.read_bytes())
            else:
                why = said[-1] if said else f"LibreOffice exited with {done.returncode}"
                results.append(ConversionFailed(f"no PDF came out ({why})"))
        return results
