"""`lspbot serve` with a probe, for bench/bench_serve_memory.py: twice a second it writes SQLite's own heap in this
process (sqlite3_memory_used, and the part of it that is page cache) to the file named by LSPBOT_BENCH_PROBE, so
that the bench can tell SQLite's memory from Python's. The product is run unchanged (`bot.cli` as __main__).

    python -m bench.serve_probe serve --host 127.0.0.1 --port 0
"""

from __future__ import annotations

import ctypes
import os
import runpy
import sqlite3  # noqa: F401 - loads the libsqlite3 that the probe then reads
import sys
import threading
import time
from pathlib import Path

SQLITE_STATUS_PAGECACHE_OVERFLOW = 2  # bytes of page cache taken from the heap


def probe(path: Path) -> None:
    lib = ctypes.CDLL("libsqlite3.so.0")
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    current, highest = ctypes.c_int64(), ctypes.c_int64()
    while True:
        lib.sqlite3_status64(SQLITE_STATUS_PAGECACHE_OVERFLOW, ctypes.byref(current), ctypes.byref(highest), 0)
        path.write_text(f"{lib.sqlite3_memory_used()} {current.value}")
        time.sleep(0.5)


if __name__ == "__main__":
    if target := os.environ.get("LSPBOT_BENCH_PROBE"):
        threading.Thread(target=probe, args=(Path(target),), daemon=True, name="bench-probe").start()
    sys.argv = ["bot.cli", *sys.argv[1:]]
    runpy.run_module("bot.cli", run_name="__main__", alter_sys=True)
