"""Files kept for the board (papers, packs): their bytes in the database, or, where a papers folder is set
(LSPBOT_PAPERS_DIR), in that folder under their hash, so every replica that shares it finds them."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.db import FILES_DIR
from store.models import StoredFile


class MissingFile(Exception):
    """A stored file's bytes are not where the record says (a folder not shared, or cleared)."""


def folder_of(session: Session) -> Path | None:
    """The folder the session's files are kept in (store.db.make_session_factory's `files_dir`), or None."""
    return session.info.get(FILES_DIR)


def put(*, session: Session, content: bytes, content_type: str, now: dt.datetime) -> StoredFile:
    """Keep `content` once (in the database, or the session's files folder): a file with the same bytes (and type)
    already kept is reused."""
    folder = folder_of(session)
    digest = hashlib.sha256(content).hexdigest()
    found = session.scalars(select(StoredFile).where(StoredFile.sha256 == digest,
                                                     StoredFile.content_type == content_type)).first()
    if found is not None:
        return found
    path = None
    if folder is not None:
        path = f"{digest[:2]}/{digest}"
        target = folder / path
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # written whole under another name, then renamed: a reader never sees half a file
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
                tmp.write(content)
            os.replace(tmp.name, target)
    stored = StoredFile(sha256=digest, size=len(content), content_type=content_type,
                        content=None if path else content, path=path, created_at=now)
    session.add(stored)
    session.flush()
    return stored


def read(*, session: Session, stored: StoredFile) -> bytes:
    """A stored file's bytes, wherever they are kept."""
    folder = folder_of(session)
    if stored.content is not None:
        return stored.content
    if stored.path is None or folder is None:
        raise MissingFile(f"file {stored.id} is kept in a papers folder, and none is set (LSPBOT_PAPERS_DIR)")
    try:
        return (folder / stored.path).read_bytes()
    except FileNotFoundError:
        raise MissingFile(f"file {stored.id} is not in the papers folder ({stored.path})") from None


def read_by_id(*, session: Session, file_id: int) -> bytes:
    """The bytes of the stored file with this id (MissingFile if there is none, or its bytes are not there)."""
    stored = session.get(StoredFile, file_id)
    if stored is None:
        raise MissingFile(f"there is no stored file {file_id}")
    return read(session=session, stored=stored)
