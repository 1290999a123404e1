"""make bench: statement import speed (issue 16: 100,000 transactions in under 5 s). Generates a
100,000-transaction MT940 file and a 100,000-line PKO-style CSV (tests/integration/pay_files.py), half of the
lines to 1,000 virtual accounts and half to none (the unmatched queue), and times `odra payments import`
on a copy of a demo store: the first import (everything booked), the same file again (everything a
duplicate), and the CSV. Usage: pay_bench.py BUILD DEMO_DIR [N]."""
import datetime
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import pay_files as pf  # noqa: E402

build, demo = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
odra = os.path.join(ROOT, build, "odra")
work = tempfile.mkdtemp(prefix="odra-paybench-")
try:
    shutil.copy(os.path.join(demo, "slubice.sqlite"), work)
    # the store is at the latest schema once the binary has opened it as the writer
    subprocess.run([odra, "payments", "import", "--tenant", "slubice", "--data", work, "/dev/null"],
                   capture_output=True)
    prefix = "1020102608050531"
    con = sqlite3.connect(os.path.join(work, "slubice.sqlite"))
    first = con.execute("SELECT coalesce(max(number), 0) + 1 FROM pay_accounts").fetchone()[0]
    accounts = [pf.nrb(prefix + "%08d" % (first + i)) for i in range(1000)]
    con.executemany("INSERT INTO pay_accounts (nrb, number, module, record, title, due_gr, created_at) "
                    "VALUES (?, ?, 'bench', ?, 'bench', 5000, '2026-12-04T00:00:00Z')",
                    [(a, first + i, "r%d" % i) for i, a in enumerate(accounts)])
    con.commit()
    con.close()
    day = datetime.date(2026, 12, 3)
    txs = [{"amount_gr": 100 + i % 9000, "va": accounts[i % 1000] if i % 2 == 0 else None,
            "ref": "B%014d" % i, "title": "oplata %d" % i, "name": "Jan Kowalski %d" % (i % 500),
            "cp": None, "day": day} for i in range(n)]
    mt = os.path.join(work, "big.mt940")
    with open(mt, "w", encoding="utf-8") as f:
        f.write(pf.mt940(pf.nrb(prefix + "00000000"), txs))
    csv = os.path.join(work, "big.csv")
    for t in txs:
        t["ref"] = "C" + t["ref"]
    with open(csv, "wb") as f:
        f.write(pf.pko_csv(txs))
    print("statement files: MT940 %.1f MB, CSV %.1f MB, %d transactions each" %
          (os.path.getsize(mt) / 1e6, os.path.getsize(csv) / 1e6, n))
    for label, path in (("mt940", mt), ("mt940_again", mt), ("csv_pko", csv)):
        t0 = time.monotonic()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run([odra, "payments", "import", "--tenant", "slubice", "--data", work, path],
                           capture_output=True, text=True)
        dt = time.monotonic() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
        if r.returncode:
            print("import %s failed: %s" % (label, r.stderr.strip()))
            continue
        print("statement_import_%s_%dk_s %.2f (target < 5), cpu %.2f s   %s" %
              (label, n // 1000, dt, cpu, r.stdout.strip()[:120]))
finally:
    shutil.rmtree(work, ignore_errors=True)
