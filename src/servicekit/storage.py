"""Content-addressed file storage: blobs named by their sha256 under an owner (or tenant) prefix.

Uploads are streamed to a temporary file in the same directory tree while hashed, size-checked
on the fly, then renamed into place atomically, so a reader never sees a partial file and a
crash never leaves one. Owners are directory prefixes, so one owner's files are never reachable
through another owner's key.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class StorageError(Exception):
    pass


class TooLarge(StorageError):
    """The content exceeded the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"content exceeds the limit of {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StoredBlob:
    owner: str
    sha256: str
    size: int
    path: Path
    created: bool
    """False when identical content was already stored for this owner (deduplicated)."""


def safe_filename(name: str, *, default: str = "file") -> str:
    """A display file name reduced to a safe basename (no directories, no control characters)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _SAFE_NAME.sub("_", base).strip("._")[:200]
    return cleaned or default


class _HashingWriter:
    """Writes to a temporary file while hashing and counting; removes the file on any error."""

    def __init__(self, fd: int, tmp: Path, max_bytes: int | None) -> None:
        self.file = os.fdopen(fd, "wb")
        self.tmp = tmp
        self.max_bytes = max_bytes
        self.hasher = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise TooLarge(self.max_bytes)
        self.hasher.update(chunk)
        self.file.write(chunk)

    def __enter__(self) -> _HashingWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            if exc_type is None:
                self.file.flush()
                os.fsync(self.file.fileno())
        finally:
            self.file.close()
            if exc_type is not None:
                self.tmp.unlink(missing_ok=True)


class BlobStore:
    """Blobs under ``root/<owner>/<aa>/<bb>/<sha256>``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _owner_dir(self, owner: str) -> Path:
        if not _OWNER.match(owner) or owner in {".", ".."}:
            raise StorageError(f"invalid owner key {owner!r}")
        return self.root / owner

    def path_for(self, owner: str, sha256: str) -> Path:
        if not _DIGEST.match(sha256):
            raise StorageError(f"invalid sha256 {sha256!r}")
        return self._owner_dir(owner) / sha256[:2] / sha256[2:4] / sha256

    def exists(self, owner: str, sha256: str) -> bool:
        return self.path_for(owner, sha256).is_file()

    def _writer(self, owner: str, max_bytes: int | None) -> _HashingWriter:
        tmp_dir = self._owner_dir(owner) / ".tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
        return _HashingWriter(fd, Path(tmp), max_bytes)

    def _commit(self, owner: str, writer: _HashingWriter) -> StoredBlob:
        digest, size = writer.hasher.hexdigest(), writer.size
        final = self.path_for(owner, digest)
        if final.exists():
            writer.tmp.unlink(missing_ok=True)
            return StoredBlob(owner, digest, size, final, created=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(writer.tmp, final)
        return StoredBlob(owner, digest, size, final, created=True)

    def put_chunks(
        self, owner: str, chunks: Iterable[bytes], *, max_bytes: int | None = None
    ) -> StoredBlob:
        with self._writer(owner, max_bytes) as writer:
            for chunk in chunks:
                writer.write(chunk)
        return self._commit(owner, writer)

    async def put_stream(
        self, owner: str, chunks: AsyncIterable[bytes], *, max_bytes: int | None = None
    ) -> StoredBlob:
        """Store an async stream (an upload) without holding it in memory."""
        with self._writer(owner, max_bytes) as writer:
            async for chunk in chunks:
                writer.write(chunk)
        return self._commit(owner, writer)

    def put_bytes(self, owner: str, data: bytes, *, max_bytes: int | None = None) -> StoredBlob:
        return self.put_chunks(owner, [data], max_bytes=max_bytes)

    def open(self, owner: str, sha256: str):
        try:
            return self.path_for(owner, sha256).open("rb")
        except FileNotFoundError as exc:
            raise StorageError(f"no blob {sha256} for {owner}") from exc

    def delete(self, owner: str, sha256: str) -> bool:
        path = self.path_for(owner, sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def delete_owner(self, owner: str) -> None:
        """Remove every blob of an owner (a deleted tenant)."""
        import shutil

        shutil.rmtree(self._owner_dir(owner), ignore_errors=True)


def write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Write through ``write(temp_path)`` then rename over ``target``: readers see old or new.

    The file is made readable by everyone (mkstemp creates owner-only files) because services
    may run as other users than the one that wrote it.
    """
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        write(temporary)
        temporary.chmod(0o644)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
