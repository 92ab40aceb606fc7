"""The child's own copy of a batch's inputs, and which of them a call wrote.

A batch's inputs arrive as a sealed memory file (see ``request``). The child
maps it privately: it may write to its inputs as to any array of its own, and
a write copies only its page, which turns from the file's page into an
anonymous one. ``/proc/self/pagemap`` tells which, for one read per input,
without keeping a copy of each input to compare against.

Imported by the child runner: standard library only.
"""

from __future__ import annotations

import ctypes
import mmap
import os


def spans(sizes: list[int], align: int) -> tuple[list[tuple[int, int]], int]:
    """(offset, size) of each blob where a memory file keeps it, and the file's length."""
    found, end = [], 0
    for size in sizes:
        end += -end % align
        found.append((end, size))
        end += size
    return found, end


def map_inputs(fd: int, sizes: list[int], align: int) -> tuple[memoryview, "WrittenPages | None"]:
    """The inputs' memory file, mapped privately: the child may write to its
    inputs as to any array of its own, and only its own copy of a page
    changes (the file is sealed); which pages it wrote, ``WrittenPages`` tells."""
    where, end = spans(sizes, align)
    if end == 0:
        return memoryview(bytearray()), None
    # Mapped by libc, not the mmap module, which would keep a copy of the
    # descriptor open as long as any input lives: code that opened files up
    # to its limit could then not receive the next batch.
    address = _LIBC.mmap(None, end, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE, fd, 0)
    if address in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "cannot map the inputs")
    # Every input is read by the call that gets it: mapping all the file's
    # pages in one call costs less than a fault on each page's first read.
    # They are mapped for reading, so they stay the file's pages until written.
    # (Before Linux 5.14 the advice is refused, and each page faults in.)
    _LIBC.madvise(address, end, MADV_POPULATE_READ)
    inputs = (ctypes.c_char * end).from_address(address)  # (never unmapped: it ends with the child)
    return memoryview(inputs).cast("B"), WrittenPages.watch(address, where)


MADV_POPULATE_READ = 22
_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.mmap.restype = ctypes.c_void_p
_LIBC.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_LIBC.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


class WrittenPages:
    """Which inputs of a batch the child has written to since they were mapped.

    A write to a private mapping of a file copies the page it lands on, which
    turns from the file's page into an anonymous one; /proc/self/pagemap
    tells which, for one read per input, without a copy of the input to
    compare against. (Writing the old bytes back still counts: the parent
    then compares the input with its own pristine copy.)"""

    _pagemap: tuple[int, int] | None = None  # (pid, fd): a pagemap describes the process that opened it

    def __init__(self, address: int, spans: list[tuple[int, int]], pagemap: int) -> None:
        self._address = address
        self._spans = spans
        self._fd = pagemap

    @classmethod
    def open_pagemap(cls) -> bool:
        """Open this process's page map, once (a process that is not dumpable
        may not: the sandbox's child opens it first thing, while it may)."""
        if cls._pagemap is None or cls._pagemap[0] != os.getpid():
            try:
                cls._pagemap = (os.getpid(), os.open("/proc/self/pagemap", os.O_RDONLY | os.O_CLOEXEC))
            except OSError:
                return False
        return True

    @classmethod
    def watch(cls, address: int, spans: list[tuple[int, int]]) -> "WrittenPages | None":
        """None where the system cannot tell (no page map): inputs are then compared byte for byte."""
        return cls(address, spans, cls._pagemap[1]) if cls.open_pagemap() else None

    def written(self, blob: int) -> bool:
        offset, size = self._spans[blob]
        if not size:
            return False
        start = self._address + offset
        first, last = start // mmap.PAGESIZE, (start + size - 1) // mmap.PAGESIZE
        length = (last - first + 1) * _PAGEMAP_ENTRY
        try:
            entries = os.pread(self._fd, length, first * _PAGEMAP_ENTRY)
        except OSError:
            return True  # (sent back, the input is compared in the parent)
        # Each entry's top byte: bit 7 present, 6 swapped, 5 a page of the file.
        return len(entries) != length or bool(entries[7::_PAGEMAP_ENTRY].translate(None, _UNWRITTEN))


_PAGEMAP_ENTRY = 8
# Top bytes of pagemap entries for pages still the file's: not present yet
# (never touched), or present as the file's page; never swapped.
_UNWRITTEN = bytes(top for top in range(256) if not top & 0x40 and (not top & 0x80 or top & 0x20))
