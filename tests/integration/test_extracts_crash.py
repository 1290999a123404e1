"""Extracts survive kill -9: the server is killed while clients keep issuing extracts, then restarted on
the same store. The same for cases registered where the gmina issues later (Rzepin, extract_issue = clerk):
every case answered 201 is there with its number, and the year's numbers run 1..N without a gap or a
repeat. Every extract answered 201 before the kill is there with the PDF whose SHA-256 it
announced, nothing half-written is (each stored PDF hashes to its recorded SHA-256), the year's case
sequence equals the extracts stored (a case number and its extract commit together), and the store passes
SQLite's own integrity check (the sqlite3 shell as the oracle)."""
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import Server, demo_data, done, test  # noqa: E402

T = "slubice"
PARCELS = ["080505_4.0001.2485", "080505_4.0001.2486"]
JSON = {"Content-Type": "application/json"}
DATA = demo_data(copy=True)
STORE = os.path.join(DATA, f"{T}.sqlite")


def sql(query):
    return subprocess.run(["sqlite3", STORE, query], check=True, capture_output=True, text=True).stdout.strip()


def post(srv, n):
    body = {"parcels": PARCELS, "applicant": {"name": f"Wnioskodawca {n}", "address": "ul. Kościuszki 1, Słubice"},
            "purpose": "sprzedaż"}
    return srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(), headers=JSON, timeout=60)


def issue_until_killed(srv, answered, stop):
    """Issues extracts until the server dies; records each 201 answer."""
    n = 0
    while not stop.is_set():
        n += 1
        try:
            status, _, data = post(srv, n)
        except OSError:  # the server was killed under this request
            return
        if status == 201:
            answered.append(json.loads(data))


answered = []


@test
def kill_9_while_issuing():
    before = int(sql("SELECT count(*) FROM extracts"))
    srv = Server(DATA)
    stop = threading.Event()
    workers = [threading.Thread(target=issue_until_killed, args=(srv, answered, stop)) for _ in range(3)]
    for w in workers:
        w.start()
    deadline = time.time() + 120
    while len(answered) < 4 and time.time() < deadline and srv.proc.poll() is None:
        time.sleep(0.02)
    srv.proc.kill()  # SIGKILL while the other clients' extracts are being issued
    srv.proc.wait()
    stop.set()
    for w in workers:
        w.join()
    srv.stop()  # already killed: checks its log for a sanitizer report made before
    assert len(answered) >= 4, f"only {len(answered)} extracts issued before the deadline"
    assert int(sql("SELECT count(*) FROM extracts")) >= before + len(answered)


@test
def store_is_intact_after_restart():
    assert sql("PRAGMA integrity_check") == "ok"
    year = time.strftime("%Y")
    rows = int(sql(f"SELECT count(*) FROM extracts WHERE year = {year}"))
    seq = int(sql(f"SELECT coalesce((SELECT seq FROM case_sequences WHERE year = {year}), 0)"))
    assert seq == rows, f"case sequence at {seq} but {rows} extracts stored for {year}"
    assert sql("SELECT count(*) - count(DISTINCT case_number) FROM extracts") == "0"
    # each issued extract is a case, issued in the same transaction (Słubice issues at once)
    assert sql(f"SELECT count(*) FROM cases WHERE year = {year}") == str(rows)
    assert sql("SELECT count(*) FROM extracts e LEFT JOIN cases c ON c.id = e.id AND c.case_number = e.case_number "
               "AND c.status = 'załatwiony' WHERE e.year = " + year + " AND c.id IS NULL") == "0"


@test
def every_answered_extract_is_stored_whole():
    srv = Server(DATA)
    try:
        for rec in answered:
            st, _, pdf = srv.get(urllib.parse.urlparse(rec["links"]["pdf"]).path, timeout=30)
            assert st == 200, (rec["id"], st)
            assert hashlib.sha256(pdf).hexdigest() == rec["sha256"], rec["id"]
        for rid, sha in (line.split("|") for line in sql("SELECT id, sha256 FROM extracts").splitlines()):
            st, _, pdf = srv.get(f"/{T}/extracts/{rid}.pdf", timeout=30)
            assert st == 200 and hashlib.sha256(pdf).hexdigest() == sha, rid
        status, _, data = post(srv, 0)  # and issuing goes on with the next case number
        assert status == 201, (status, data[:300])
        year = time.strftime("%Y")
        assert sql(f"SELECT seq FROM case_sequences WHERE year = {year}") == \
            sql(f"SELECT count(*) FROM extracts WHERE year = {year}")
    finally:
        srv.stop()


# ---- cases registered, to be issued later (Rzepin: extract_issue = clerk) ----

RZ = "rzepin"
RZ_STORE = os.path.join(DATA, f"{RZ}.sqlite")
registered = []


def rz_sql(query):
    return subprocess.run(["sqlite3", RZ_STORE, query], check=True, capture_output=True, text=True).stdout.strip()


def register_until_killed(srv, parcel, out, stop):
    n = 0
    while not stop.is_set():
        n += 1
        body = {"parcels": [parcel], "applicant": {"name": f"Wnioskodawca {n}", "email": f"w{n}@example.pl"}}
        try:
            status, _, data = srv.request("POST", f"/{RZ}/extracts", body=json.dumps(body).encode(), headers=JSON,
                                          timeout=60)
        except OSError:
            return
        if status == 201:
            out.append(json.loads(data))


@test
def kill_9_while_registering_cases():
    srv = Server(DATA)
    parcel = srv.get_json(f"/{RZ}/ogc/collections/parcels/items?limit=1")["features"][0]["properties"]["parcel_id"]
    stop = threading.Event()
    workers = [threading.Thread(target=register_until_killed, args=(srv, parcel, registered, stop)) for _ in range(3)]
    for w in workers:
        w.start()
    deadline = time.time() + 120
    while len(registered) < 6 and time.time() < deadline and srv.proc.poll() is None:
        time.sleep(0.02)
    srv.proc.kill()
    srv.proc.wait()
    stop.set()
    for w in workers:
        w.join()
    srv.stop()  # already killed: checks its log for a sanitizer report made before
    assert len(registered) >= 6, f"only {len(registered)} cases registered before the deadline"
    assert all(r["status"] == "pending" for r in registered)


@test
def every_answered_case_is_kept_and_numbers_run_without_gaps():
    assert rz_sql("PRAGMA integrity_check") == "ok"
    year = time.strftime("%Y")
    seq = int(rz_sql(f"SELECT coalesce((SELECT seq FROM case_sequences WHERE year = {year}), 0)"))
    used = [int(x) for x in rz_sql(f"SELECT seq FROM cases WHERE year = {year} UNION ALL "
                                   f"SELECT seq FROM extracts WHERE year = {year} AND id NOT IN "
                                   f"(SELECT id FROM cases)").split()]
    assert sorted(used) == list(range(1, seq + 1)), (seq, sorted(used))
    srv = Server(DATA)
    try:
        for rec in registered:
            got = srv.get_json(urllib.parse.urlparse(rec["links"]["self"]).path)
            assert got["case_number"] == rec["case_number"] and got["status"] == "pending", (rec["id"], got)
            v = srv.get_json(f"/verify/{rec['verification_code']}")
            assert v["valid"] is False and v["status"] == "w toku", v
    finally:
        srv.stop()


done()
