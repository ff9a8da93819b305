"""Fast, careful I/O on local files, for the local blob store and downloads.

- :func:`copy_range` copies inside the kernel (``copy_file_range``, or
  ``sendfile`` where that is refused, e.g. across filesystems).
- :func:`hash_range` hashes part of a file through a small reusable buffer,
  releasing the GIL, so it can run beside a copy.
- :func:`start_writeback` asks Linux to start writing a range to disk now,
  so the final fsync does not have to write the whole file.
- :func:`new_file` (:class:`NewFile`) writes a new file in aligned blocks
  that bypass the page cache (``O_DIRECT``) where the filesystem allows it:
  every such file is fsynced anyway, so caching its pages gains nothing, and
  where the host reclaims free memory from a virtual machine, filling fresh
  page cache can cost more than writing the disk.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
import os
import sys
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

HASH_BUFFER = 1024 * 1024  # small enough to stay in the CPU cache between read and hash
ALIGN = 4096  # what O_DIRECT asks of offsets, lengths and buffer addresses
DIRECT_BLOCK = 4 * 1024 * 1024
_NO_KERNEL_COPY = {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}
_O_DIRECT = getattr(os, "O_DIRECT", 0)


class SourceChanged(Exception):
    """The file being copied got shorter (or otherwise changed) during the copy."""


@cache
def _writeback_starter() -> Callable[[int, int, int, int], int] | None:
    """Linux's ``sync_file_range`` (not in :mod:`os`): start writing a range out, don't wait.

    Looked up on the first write, not at import: a process that only reads
    never loads ctypes.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


_SYNC_FILE_RANGE_WRITE = 2


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Let the disk work while the rest is copied and hashed, so the final fsync is short."""
    sync_file_range = _writeback_starter()
    if sync_file_range is not None:
        sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def copy_range(source: int, target: int, offset: int, length: int) -> None:
    """Copy ``length`` bytes at ``offset`` inside the kernel (same offset in both files)."""
    end = offset + length
    while offset < end:
        try:
            copied = os.copy_file_range(source, target, end - offset, offset, offset)
        except OSError as exc:
            if exc.errno not in _NO_KERNEL_COPY:
                raise
            # Another filesystem or an older kernel: sendfile copies across filesystems.
            os.lseek(target, offset, os.SEEK_SET)
            copied = os.sendfile(target, source, offset, end - offset)
        if copied == 0:
            raise SourceChanged("it got shorter")
        offset += copied


def hash_range(digest: Any, fd: int, offset: int, length: int) -> None:
    """Feed ``length`` bytes of ``fd`` at ``offset`` to ``digest``."""
    buffer = memoryview(bytearray(min(length, HASH_BUFFER)))
    end = offset + length
    while offset < end:
        read = os.preadv(fd, [buffer[: end - offset]], offset)
        if read == 0:
            raise OSError(errno.EIO, "the file is shorter than what was written to it")
        digest.update(buffer[:read])
        offset += read


class NewFile:
    """A new file written through one aligned block, bypassing the page cache if allowed.

    Where ``O_DIRECT`` is refused (tmpfs, some network filesystems, an
    unusual block size) the same calls write through the page cache, starting
    each block's writeback at once. :meth:`finish` writes what is left and
    fsyncs; :meth:`close` always releases the descriptor.
    """

    def __init__(self, path: str, offset: int | None = None) -> None:
        """A new file; or, given ``offset`` (a multiple of ALIGN), a range of a shared one."""
        flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if offset is None else 0)
        self.start = offset or 0
        self.direct = bool(_O_DIRECT)
        try:
            self.fd = os.open(path, flags | _O_DIRECT, 0o666)
        except OSError as exc:
            if not self.direct or exc.errno != errno.EINVAL:
                raise
            self.direct = False
            self.fd = os.open(path, flags, 0o666)
        self.block = mmap.mmap(-1, DIRECT_BLOCK)  # page-aligned, as O_DIRECT requires
        self.view = memoryview(self.block)
        self.filled = 0
        self.size = 0
        if self.start:
            os.lseek(self.fd, self.start, os.SEEK_SET)

    def write(self, data: bytes | memoryview) -> None:
        data = memoryview(data)
        while data:
            taken = min(len(data), DIRECT_BLOCK - self.filled)
            self.view[self.filled : self.filled + taken] = data[:taken]
            self.filled += taken
            data = data[taken:]
            if self.filled == DIRECT_BLOCK:
                self._write_block(DIRECT_BLOCK)

    def _write_block(self, length: int) -> None:
        """Write the first ``length`` bytes of the block (a multiple of ALIGN when direct)."""
        done = 0
        while done < length:
            try:
                done += os.write(self.fd, self.view[done:length])
            except OSError as exc:
                if not self.direct or exc.errno != errno.EINVAL:
                    raise
                # The filesystem took O_DIRECT at open but not these writes: go buffered.
                fcntl.fcntl(
                    self.fd, fcntl.F_SETFL, fcntl.fcntl(self.fd, fcntl.F_GETFL) & ~_O_DIRECT
                )
                self.direct = False
        if not self.direct:
            start_writeback(self.fd, self.start + self.size, length)
        self.size += length
        self.filled = 0

    def finish(self) -> None:
        """Write the last partial block and fsync (the file is then exactly what was written)."""
        if self.filled:
            tail = self.filled
            if self.direct:
                # O_DIRECT writes whole aligned blocks; the padding is cut off again below.
                padded = -(-tail // ALIGN) * ALIGN
                self.view[tail:padded] = bytes(padded - tail)
                self._write_block(padded)
                self.size -= padded - tail
                if padded > tail:  # only a file's last range is not a whole number of blocks
                    os.ftruncate(self.fd, self.start + self.size)
            else:
                self._write_block(tail)
        os.fsync(self.fd)

    def close(self) -> None:
        os.close(self.fd)
        self.view.release()
        self.block.close()


@contextlib.contextmanager
def new_file(path: str, offset: int | None = None) -> Iterator[Callable[[bytes], None]]:
    """Write the new file ``path``: complete and fsynced if the block exits cleanly.

    With ``offset`` (a multiple of ALIGN), write instead from there on into
    ``path``, created if need be: one range of a file written in parts.

    The file is left for the caller to remove on an error; its descriptor is
    always released.
    """
    out = NewFile(path, offset)
    try:
        yield out.write
        out.finish()
    finally:
        out.close()
