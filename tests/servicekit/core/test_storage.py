"""Content-addressed storage: hashing, dedup, limits, atomicity and owner isolation."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from servicekit.storage import BlobStore, StorageError, TooLarge, safe_filename


def test_put_hashes_and_deduplicates(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    data = b"hello world" * 1000
    first = store.put_bytes("alice", data)
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert first.size == len(data) and first.created
    assert first.path.read_bytes() == data
    second = store.put_chunks("alice", [data[:7], data[7:]])
    assert second.sha256 == first.sha256 and not second.created
    with store.open("alice", first.sha256) as fh:
        assert fh.read() == data


async def test_stream_over_the_limit_stores_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 1024

    with pytest.raises(TooLarge):
        await store.put_stream("bob", chunks(), max_bytes=5000)
    leftovers = [p for p in (tmp_path / "bob").rglob("*") if p.is_file()]
    assert leftovers == []
    ok = await store.put_stream("bob", chunks(), max_bytes=20_000)
    assert ok.size == 10 * 1024


def test_owners_are_isolated(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    blob = store.put_bytes("tenant-a", b"secret")
    assert store.exists("tenant-a", blob.sha256)
    assert not store.exists("tenant-b", blob.sha256)
    with pytest.raises(StorageError):
        store.open("tenant-b", blob.sha256)
    for bad in ("..", "../tenant-a", "a/b", ""):
        with pytest.raises(StorageError):
            store.path_for(bad, blob.sha256)
    with pytest.raises(StorageError):
        store.path_for("tenant-a", "../../etc/passwd")
    assert store.delete("tenant-a", blob.sha256)
    assert not store.exists("tenant-a", blob.sha256)


def test_safe_filename() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\report final.pdf") == "report_final.pdf"
    assert safe_filename("...") == "file"
    assert safe_filename("résumé\x00.txt") == "r_sum_.txt"
