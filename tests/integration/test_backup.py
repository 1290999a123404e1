#!/usr/bin/env python3
"""`odra backup` and `odra restore` (docs/backup.md) against real stores and a running server.

A snapshot taken while the server issues extracts is consistent (every case has its extract, every copy
passes `PRAGMA integrity_check` in the sqlite3 program) and holds everything acknowledged before it began;
restored into a new data directory and served, the documents verify as before and every table has the
rows of the copy. A copy with one flipped byte, a copy whose manifest was made to match a damaged file, and
hostile manifests are refused with one line on stderr and nothing written. The server's own schedule takes
snapshots, rotates them and reports them in /health."""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time

import odra_test as T
from odra_test import test, done

TMP = tempfile.mkdtemp(prefix="odra-backup-")
DATA = T.demo_data(copy=True)
srv = T.Server(DATA)
S = {}


def odra(*args):
    return subprocess.run([T.BIN, *args], capture_output=True, text=True, timeout=300)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def parcel(tenant):
    j = srv.get_json(f"/{tenant}/ogc/collections/parcels/items?limit=1")
    return j["features"][0]["properties"]["parcel_id"]


def post_extract(pid):
    body = json.dumps({"parcels": [pid], "applicant": {"name": "Jan Kowalski"}, "documents": ["wypis"]}).encode()
    st, _, data = srv.request("POST", "/slubice/extracts", body=body,
                              headers={"Content-Type": "application/json"}, timeout=120)
    assert st == 201, (st, data[:300])
    return json.loads(data)


def rows(db, sql):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def integrity_ok(db):
    r = subprocess.run(["sqlite3", db, "PRAGMA integrity_check"], capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() == "ok"


@test
def a_backup_taken_while_the_server_issues_is_consistent_and_complete():
    pid = parcel("slubice")
    before = [post_extract(pid) for _ in range(3)]
    stop = threading.Event()
    during = []

    def issue():
        while not stop.is_set():
            during.append(post_extract(pid))

    th = threading.Thread(target=issue)
    th.start()
    time.sleep(0.5)
    out = os.path.join(TMP, "b1")
    r = odra("backup", "--all", "-o", out, "--data", DATA)
    stop.set()
    th.join()
    assert r.returncode == 0, r.stderr
    assert during, "extracts must be issued while the backup runs"
    m = json.load(open(os.path.join(out, "manifest.json")))
    names = sorted(f["file"] for f in m["files"])
    assert names == sorted(["slubice.sqlite", "cybinka.sqlite", "gorzyca.sqlite", "osno-lubuskie.sqlite",
                            "rzepin.sqlite", "identity.sqlite"]), names
    assert m["format"] == "odra-backup 1" and m["created_at"].endswith("Z"), m
    for f in m["files"]:
        p = os.path.join(out, f["file"])
        assert sha256(p) == f["sha256"] and os.path.getsize(p) == f["bytes"], f
        assert integrity_ok(p), f["file"]
        assert os.stat(p).st_mode & 0o077 == 0, "copies of stores with personal data are private"
        assert f["integrity"] == "ok" and f["schema_version"] == rows(p, "PRAGMA user_version")[0][0], f
    sl = os.path.join(out, "slubice.sqlite")
    got = [x for x in m["files"] if x["file"] == "slubice.sqlite"][0]["module_versions"]
    assert got == dict(rows(sl, "SELECT module, version FROM module_versions")) and got.get("waste", 0) >= 1, got
    ids = {r[0] for r in rows(sl, "SELECT id FROM extracts")}
    assert {b["id"] for b in before} <= ids, "every extract acknowledged before the backup is in it"
    # one commit: every case of the copy has its extract and every extract its case, numbers unbroken
    cases = rows(sl, "SELECT id, seq FROM cases WHERE module = 'extracts'")
    assert {c[0] for c in cases} == ids, "a case without its extract (or the reverse): not one commit"
    seqs = sorted(c[1] for c in rows(sl, "SELECT id, seq FROM cases"))
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    assert not [n for n in os.listdir(TMP) if ".partial-" in n], "no partial snapshot is left"
    S["backup"], S["ids"], S["codes"] = out, ids, [b["verification_code"] for b in before]


@test
def restore_round_trips_into_a_new_data_directory():
    out, target = S["backup"], os.path.join(TMP, "restored")
    r = odra("restore", out, "--data", target)
    assert r.returncode == 0, r.stderr
    m = json.load(open(os.path.join(out, "manifest.json")))
    for f in m["files"]:
        p = os.path.join(target, f["file"])
        assert sha256(p) == f["sha256"], f["file"]
        # ordinary tables (virtual ones need SpatiaLite, and their shadow tables are compared anyway)
        for (t,) in rows(p, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                            "AND sql NOT LIKE 'CREATE VIRTUAL%'"):
            q = f'SELECT count(*) FROM "{t}"'
            assert rows(p, q) == rows(os.path.join(out, f["file"]), q), (f["file"], t)
    again = T.Server(target)
    try:
        for code in S["codes"]:
            v = again.get_json(f"/verify/{code}")
            assert v["valid"] is True, v
        assert again.get_json("/slubice")["counts"]["parcels"] > 0
    finally:
        again.stop()
    # a store already there is replaced only with --force; --tenant restores that gmina's only
    r = odra("restore", out, "--data", target)
    assert r.returncode == 1 and "--force" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    os.unlink(os.path.join(target, "rzepin.sqlite"))
    before = sha256(os.path.join(target, "slubice.sqlite"))
    r = odra("restore", out, "--data", target, "--tenant", "rzepin")
    assert r.returncode == 0 and "rzepin.sqlite" in r.stdout and "slubice" not in r.stdout, (r.stdout, r.stderr)
    assert sha256(os.path.join(target, "slubice.sqlite")) == before
    open(os.path.join(target, "cybinka.sqlite-wal"), "wb").write(b"stale wal of the replaced store")
    r = odra("restore", out, "--data", target, "--tenant", "cybinka", "--force")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(target, "cybinka.sqlite-wal")), "a stale WAL must not meet the new store"
    assert integrity_ok(os.path.join(target, "cybinka.sqlite"))


def refused(backup, why):
    target = os.path.join(TMP, "refused-target")
    shutil.rmtree(target, ignore_errors=True)
    r = odra("restore", backup, "--data", target)
    assert r.returncode == 1, (why, r.returncode, r.stdout)
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("odra: "), (why, r.stderr)
    assert not os.path.exists(target) or not os.listdir(target), (why, "nothing may be written")
    return r.stderr


@test
def a_damaged_copy_is_refused_and_nothing_restored():
    bad = os.path.join(TMP, "damaged")
    shutil.copytree(S["backup"], bad)
    victim = os.path.join(bad, "rzepin.sqlite")
    with open(victim, "r+b") as f:
        f.seek(os.path.getsize(victim) // 2)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0xFF]))
    err = refused(bad, "one flipped byte")
    assert "refused, nothing restored" in err and "SHA-256" in err and "rzepin.sqlite" in err, err
    # the manifest made to match a damaged file: the integrity check refuses it
    with open(victim, "r+b") as f:
        f.seek(100)
        f.write(os.urandom(3900))
    mp = os.path.join(bad, "manifest.json")
    m = json.load(open(mp))
    for x in m["files"]:
        if x["file"] == "rzepin.sqlite":
            x["sha256"] = sha256(victim)
    json.dump(m, open(mp, "w"))
    err = refused(bad, "damaged pages with a matching hash")
    assert "rzepin.sqlite" in err and ("integrity" in err or "not a SQLite store" in err), err


@test
def hostile_manifests_and_arguments_are_refused():
    base = os.path.join(TMP, "hostile")
    for name, manifest in [("notjson", "{not json"), ("format", json.dumps({"format": "x", "files": []})),
                           ("empty", json.dumps({"format": "odra-backup 1", "files": []})),
                           ("traversal", json.dumps({"format": "odra-backup 1", "files": [
                               {"file": "../../etc/passwd.sqlite", "sha256": "0" * 64}]})),
                           ("nosha", json.dumps({"format": "odra-backup 1", "files": [{"file": "a.sqlite"}]})),
                           ("missingfile", json.dumps({"format": "odra-backup 1", "files": [
                               {"file": "gone.sqlite", "sha256": "0" * 64, "tenant": "gone"}]})),
                           ("huge", " " * (2 << 20) + "{}")]:
        d = os.path.join(base, name)
        os.makedirs(d)
        open(os.path.join(d, "manifest.json"), "w").write(manifest)
        refused(d, name)
    refused(os.path.join(base, "nothing-here"), "no manifest")
    r = odra("backup", "--all", "-o", S["backup"], "--data", DATA)
    assert r.returncode == 1 and "not empty" in r.stderr, r.stderr
    r = odra("backup", "--tenant", "nowhere", "-o", os.path.join(TMP, "x"), "--data", DATA)
    assert r.returncode == 1 and "nowhere" in r.stderr, r.stderr
    for args in (["backup", "-o", "x"], ["backup", "--all"], ["backup", "--all", "--tenant", "rzepin", "-o", "x"],
                 ["restore"], ["restore", "a", "b"]):
        r = odra(*args)
        assert r.returncode == 2 and "usage" in r.stderr, (args, r.stderr)


@test
def the_server_takes_rotates_and_reports_its_own_snapshots():
    data = T.demo_data(copy=True)
    cfg = os.path.join(TMP, "odra.ini")
    with open(os.path.join(T.ROOT, "odra.ini"), encoding="utf-8") as f:
        text = f.read()
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(text + "\n[backup]\ndir = snapshots\nevery = 1\nkeep_hourly = 1\nkeep_daily = 0\nkeep_monthly = 0\n")
    s = T.Server(data, config=cfg)
    try:
        assert srv.get_json("/health")["backup"] is None, "the demo configuration schedules no backups"
        deadline = time.time() + 60
        h = None
        while time.time() < deadline:
            h = s.get_json("/health")["backup"]
            if h and h["taken"] >= 3:
                break
            time.sleep(0.5)
        assert h and h["taken"] >= 3 and h["error"] is None, h
        root = os.path.join(data, "snapshots")
        snaps = sorted(n for n in os.listdir(root) if ".partial-" not in n)
        # keep_hourly = 1: within one hour only the newest stays (at most one more mid-rotation)
        assert 1 <= len(snaps) <= 2 and h["last"] in snaps + [None], (snaps, h)
        newest = os.path.join(root, snaps[-1])
        m = json.load(open(os.path.join(newest, "manifest.json")))
        assert len(m["files"]) == 6
        for f in m["files"]:
            assert sha256(os.path.join(newest, f["file"])) == f["sha256"]
    finally:
        s.stop()


srv.stop()
done()
