"""Where an issued PDF is kept (issue 20): in the store (a BLOB in the extracts row, as odra does) against a file
named in the row, both durable before the answer. Same settings as odra's store: WAL, synchronous=FULL.
  sqlite: BEGIN IMMEDIATE; INSERT the row with the PDF; COMMIT (one fsync of the WAL)
  file:   write the PDF to a temporary name, fsync it, rename, fsync the directory; then the row with the
          file's name, COMMIT (three fsyncs)
each one PDF a commit, and k=4 PDFs a commit (what group commit does under concurrency); then the read of a
PDF back (SELECT of the blob against open+read). The PDFs are random bytes (a compressed PDF does not compress
further) of the sizes of a one-page wyrys and of a wypis + wyrys. Medians of ROUNDS rounds, alternating the
order. Usage: python3 bench/pdf_store_bench.py [N] [ROUNDS]   (N PDFs a round; the directory is under /tmp)."""
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
SIZES = (("wyrys", 130_000), ("wypis+wyrys", 280_000))


def open_db(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("CREATE TABLE IF NOT EXISTS extracts (id INTEGER PRIMARY KEY, name TEXT, pdf BLOB)")
    return db


def fsync_dir(d):
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def in_sqlite(db, d, pdfs, k):
    for i in range(0, len(pdfs), k):
        db.execute("BEGIN IMMEDIATE")
        for p in pdfs[i:i + k]:
            db.execute("INSERT INTO extracts (pdf) VALUES (?)", (p,))
        db.execute("COMMIT")


def as_file(db, d, pdfs, k):
    for i in range(0, len(pdfs), k):
        names = []
        for p in pdfs[i:i + k]:
            name = os.urandom(16).hex() + ".pdf"
            tmp = os.path.join(d, name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(p)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, os.path.join(d, name))
            names.append(name)
        fsync_dir(d)
        db.execute("BEGIN IMMEDIATE")
        for name in names:
            db.execute("INSERT INTO extracts (name) VALUES (?)", (name,))
        db.execute("COMMIT")


def read_sqlite(db, d, n):
    for i in range(1, n + 1):
        db.execute("SELECT pdf FROM extracts WHERE id = ?", (i,)).fetchone()


def read_file(db, d, n):
    for (name,) in db.execute("SELECT name FROM extracts ORDER BY id LIMIT ?", (n,)).fetchall():
        with open(os.path.join(d, name), "rb") as f:
            f.read()


def main():
    root = tempfile.mkdtemp(prefix="odra-pdfstore-")
    try:
        for label, size in SIZES:
            pdfs = [os.urandom(size) for _ in range(N)]
            res = {}
            for r in range(ROUNDS):
                order = (("sqlite", in_sqlite, read_sqlite), ("file", as_file, read_file))
                for how, write, read in order if r % 2 == 0 else order[::-1]:
                    for k in (1, 4):
                        d = os.path.join(root, f"{how}-{k}-{r}")
                        os.makedirs(d)
                        db = open_db(os.path.join(d, "store.sqlite"))
                        t0 = time.perf_counter()
                        write(db, d, pdfs, k)
                        res.setdefault((how, k), []).append((time.perf_counter() - t0) * 1000 / N)
                        if k == 1:
                            t0 = time.perf_counter()
                            read(db, d, N)
                            res.setdefault((how, "read"), []).append((time.perf_counter() - t0) * 1000 / N)
                        db.close()
                        shutil.rmtree(d)
            m = {key: statistics.median(v) for key, v in res.items()}
            for k in (1, 4):
                print(f"pdf_store {label:11s} {size // 1000:3d} kB, {k} a commit: in SQLite {m[('sqlite', k)]:6.2f} ms"
                      f" | as file {m[('file', k)]:6.2f} ms per PDF  (file/SQLite {m[('file', k)] / m[('sqlite', k)]:.2f})",
                      flush=True)
            print(f"pdf_store {label:11s} {size // 1000:3d} kB, read back: in SQLite {m[('sqlite', 'read')]:6.3f} ms | "
                  f"as file {m[('file', 'read')]:6.3f} ms per PDF", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
