"""make bench, twins (docs/twins.md): two odra sites on loopback. Prints the p50 latency of a submission with the
synchronous twin against a site without one (and their ratio), the replication lag of a bulk import of
100,000 parcels, the time to snapshot the largest store for a joining twin, and the time of a takeover.
usage: twin_bench.py BUILD WORK"""
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("ODRA_BIN", os.path.join(ROOT, sys.argv[1], "odra"))
from odra_test import BIN, Server  # noqa: E402
from twin_sites import Site, make_certs  # noqa: E402

WORK = os.path.join(sys.argv[2], "twins")
os.makedirs(WORK)
DEMO = os.path.join(sys.argv[2], "demo")
T = "slubice"  # the largest store
N = 60


def data(name, with_tenant=True):
    d = os.path.join(WORK, f"data-{name}")
    os.makedirs(d)
    for f in os.listdir(DEMO):
        if f.endswith(".sqlite") and f != "identity.sqlite" and (with_tenant or f != f"{T}.sqlite"):
            shutil.copy(os.path.join(DEMO, f), d)
    return d


def p50_submissions(srv, parcel):
    times = []
    for n in range(N):
        body = {"parcels": [parcel], "applicant": {"name": f"Bench {n}", "email": f"b{n}@example.pl"}}
        t0 = time.perf_counter()
        st, _, out = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, timeout=60)
        times.append((time.perf_counter() - t0) * 1000)
        assert st == 201, out[:300]
    return statistics.median(times[5:])


parcel = subprocess.run(["sqlite3", os.path.join(DEMO, f"{T}.sqlite"), "SELECT parcel_id FROM parcels LIMIT 1"],
                        capture_output=True, text=True, check=True).stdout.strip()
plain = Server(data("plain"))
p50_plain = p50_submissions(plain, parcel)
plain.stop()

pki = make_certs(WORK)
A = Site("a", data("a"), WORK, pki, T)
B = Site("b", data("b", with_tenant=False), WORK, pki, T)
A.peer, B.peer = B, A
atexit.register(lambda: [s.kill() for s in (A, B)])
A.extra = f"primary = {T}\n[import]\nboundary_tolerance_m = 10000\n"  # the synthetic grid reaches past the gmina
A.start()
B.write_config()
t0 = time.perf_counter()
r = B.cli("rejoin", "--tenant", T)
snap_s = time.perf_counter() - t0
assert r.returncode == 0, r.stderr
size_mb = os.path.getsize(os.path.join(B.data, f"{T}.sqlite")) / 1e6
B.start()
p50_twin = p50_submissions(A.srv, parcel)
print(f"twin_submission_p50_ms {p50_twin:.1f} (without a twin: {p50_plain:.1f}; "
      f"ratio {p50_twin / p50_plain:.2f})")
print(f"twin_join_snapshot_s {snap_s:.2f} (the largest store, {T}, {size_mb:.0f} MB: snapshot, transfer over TLS, check)")

geo = os.path.join(sys.argv[2], "parcels.geojson")
if not os.path.exists(geo):
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "gen_parcels.py"), "100000", geo], check=True)
import threading  # noqa: E402

during, stop = [], threading.Event()


def submit_during():
    """Submissions one after another while the import runs and its frame ships and is applied."""
    n = 0
    while not stop.is_set():
        body = {"parcels": [parcel], "applicant": {"name": f"W trakcie {n}", "email": f"d{n}@example.pl"}}
        t = time.perf_counter()
        st, h, out = A.srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(),
                                   headers={"Content-Type": "application/json"}, timeout=60)
        during.append(((time.perf_counter() - t) * 1000, st, h.get("odra-replication"), t))
        n += 1


def twin_applied():
    return B.status()["applied"]


sub = threading.Thread(target=submit_during)
t0 = time.perf_counter()
sub.start()
r = subprocess.run([BIN, "import", "--tenant", T, "--as", "parcels", geo, "--config", A.cfg, "--data", A.data],
                   capture_output=True, text=True)
t1 = time.perf_counter()
assert r.returncode == 0, r.stderr[-500:]
last = int(A.sql("SELECT value FROM twin_state WHERE key = 'last_id'"))
outbox = A.sql("SELECT coalesce(max(length(changeset)), 0) FROM twin_outbox")


def acknowledged():
    h = A.srv.get_json("/health")
    return next(t for t in h["tenants"] if t["slug"] == T)["twin"]["acknowledged"]


while acknowledged() < last:  # the primary's view: the twin has the import's frame (durably received)
    time.sleep(0.05)
t2 = time.perf_counter()
while twin_applied() < last:  # and applied it
    time.sleep(0.2)
t3 = time.perf_counter()
stop.set()
sub.join()
after = [ms for ms, st, rep, t in during if st == 201 and not rep and t >= t1]
inside = [ms for ms, st, rep, t in during if st == 201 and not rep and t < t1]
other = sorted(set((st, rep) for _, st, rep, _ in during if st != 201 or rep))
print(f"twin_bulk_import_100k_lag_s {t3 - t1:.2f} (import {t1 - t0:.1f} s; its frame {int(outbox) / 1e6:.1f} MB "
      f"received by the twin {t2 - t1:.2f} s after the import committed, applied {t3 - t1:.2f} s after)")
print(f"twin_submission_p50_during_bulk_import_ms {statistics.median(after) if after else float('nan'):.1f} "
      f"({len(after)} submissions confirmed while the import's frame shipped and was applied; slowest "
      f"{max(after) if after else float('nan'):.0f} ms. While the import's own transaction ran, {len(inside)} "
      f"waited for the store's write lock: p50 {statistics.median(inside) if inside else float('nan'):.0f} ms; "
      f"refused or pending: {other})")

A.kill()
t0 = time.perf_counter()
r = B.cli("promote", "--tenant", T)
assert r.returncode == 0, r.stdout + r.stderr
body = {"parcels": [parcel], "applicant": {"name": "Po przejęciu", "email": "p@example.pl"}}
st, _, out = B.srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(),
                           headers={"Content-Type": "application/json"}, timeout=60)
t1 = time.perf_counter()
assert st == 201, out[:300]
print(f"twin_takeover_s {t1 - t0:.2f} (odra twin promote until the twin answered a submission)")
B.stop()
