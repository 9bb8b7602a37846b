"""Files kept for the board (papers, packs): their bytes in the database, or, where a papers folder is set
(LSPBOT_PAPERS_DIR), in that folder under their hash, so every replica that shares it finds them."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.db import FILES_DIR
from store.models import AgendaPack, Paper, StoredFile


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


def purge_unreferenced(*, session: Session, before: dt.datetime, keep: set[int]) -> int:
    """Delete the stored files kept before `before` that nothing holds any more: no paper (of any version), no pack,
    and none of `keep` (the uploads still waiting in the outbox). These are the packs built as previews
    (`/agenda pack`), sent and then of no use. A file in the papers folder goes with its last record. How many."""
    held = select(Paper.file_id).union(select(AgendaPack.file_id))
    gone = list(session.scalars(select(StoredFile).where(StoredFile.created_at < before, StoredFile.id.not_in(held),
                                                         StoredFile.id.not_in(keep or {0}))))
    if not gone:
        return 0
    ids = [f.id for f in gone]
    session.execute(delete(StoredFile).where(StoredFile.id.in_(ids)), execution_options={"synchronize_session": False})
    folder = folder_of(session)
    paths = {f.path for f in gone if f.path}
    if folder is not None and paths:
        shared = set(session.scalars(select(StoredFile.path).where(StoredFile.path.in_(paths))))
        for path in paths - shared:  # the same bytes under another type keep the file
            (folder / path).unlink(missing_ok=True)
    return len(ids)
