"""`odra import` as a user runs it: real APP samples, and hostile files that must fail with one clear
line and leave the store byte-identical."""
import hashlib
import json
import os
import sqlite3
import subprocess
import tempfile
import zipfile

from odra_test import BIN, SHARED, demo_data, done, test

APP = os.path.join(SHARED, "data", "app")
DATA = demo_data(copy=True)
STORE = os.path.join(DATA, "slubice.sqlite")
TMP = tempfile.mkdtemp(prefix="odra-imp-")


def odra(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300)


def digest():
    h = hashlib.sha256()
    for suffix in ("", "-wal"):
        p = STORE + suffix
        if os.path.exists(p):
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def write(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def parcel_grid(name, n, first, south):
    """A GeoJSON file of n small parcels in rows of 80 from latitude south (inside the gmina), numbered from
    first."""
    features = []
    for i in range(n):
        x, y = 14.6000 + (i % 80) * 0.0004, south + (i // 80) * 0.0003
        features.append({"type": "Feature", "properties": {"parcel_id": f"080505_4.0001.{first + i}",
                                                           "number": str(first + i), "obreb": "0001"},
                         "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + 0.0004, y],
                                                                          [x + 0.0004, y + 0.0003],
                                                                          [x, y + 0.0003], [x, y]]]}})
    return write(name, json.dumps({"type": "FeatureCollection", "features": features}))


def refused(path, collection="parcels", expect=None):
    before = digest()
    r = odra("import", "--data", DATA, "--tenant", "slubice", "--as", collection, path)
    assert r.returncode == 1, (path, r.returncode, r.stderr)
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("odra: "), r.stderr
    if expect:
        assert expect.lower() in lines[0].lower(), lines[0]
    assert digest() == before, f"store changed by a failed import of {path}"
    return lines[0]


@test
def corrupt_files_fail_cleanly():
    refused(write("garbage.geojson", os.urandom(4096)))
    refused(write("truncated.geojson", '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":'
                                       '{"type":"Polygon","coordinates":[[[14.5,52.3],[14.6'))
    refused(write("empty.gpkg", b""))
    refused(os.path.join(TMP, "does-not-exist.geojson"))


@test
def doctype_entity_bomb_is_refused():
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
            ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
            ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
            '<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0"><a>&lol3;</a>'
            '</wfs:FeatureCollection>\n')
    refused(write("bomb.gml", bomb), "pog-zones", expect="DOCTYPE")


@test
def zip_with_unsafe_paths_is_refused():
    good = json.dumps({"type": "FeatureCollection", "features": []})
    for name, entry in (("dotdot.zip", "../evil.geojson"), ("abs.zip", "/etc/evil.geojson"),
                        ("deep.zip", "a/../../evil.geojson")):
        path = os.path.join(TMP, name)
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("ok.geojson", good)
            z.writestr(entry, good)
        refused(path)


@test
def app_samples_of_another_gmina_are_refused_and_leave_the_store_unchanged():
    """The samples are gmina Testowa's (TERYT 121201, małopolskie): into Słubice they are refused, however
    valid, and Słubice's territory does not grow. test_app_import.py imports them into a Testowa store."""
    for name in ("2_strefy_StrefaPlanistyczna_OK.gml", "2_pog_AktPlanowaniaPrzestrzennego.gml"):
        before = digest()
        r = odra("import", "--data", DATA, "--tenant", "slubice", os.path.join(APP, name))
        assert r.returncode == 1, r.stderr
        assert "BŁĄD INNA-GMINA" in r.stdout and "BŁĄD POZA-GMINA" in r.stdout, r.stdout
        assert "Słubice" in r.stdout and "121201" in r.stdout, r.stdout
        assert digest() == before, name


@test
def import_into_a_tenant_without_store_creates_it_and_failure_removes_it():
    d = tempfile.mkdtemp(prefix="odra-new-")
    src = write("one.geojson", json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"parcel_id": "080504_4.0001.1", "number": "1", "obreb": "0001"},
        "geometry": {"type": "Polygon", "coordinates": [[[14.83, 52.35], [14.831, 52.35], [14.831, 52.351],
                                                         [14.83, 52.351], [14.83, 52.35]]]}}]}))
    r = odra("import", "--data", d, "--tenant", "rzepin", "--as", "parcels", src)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(d, "rzepin.sqlite"))
    r = odra("import", "--data", d, "--tenant", "cybinka", "--as", "parcels", write("bad.geojson", b"{nope"))
    assert r.returncode == 1 and not os.path.exists(os.path.join(d, "cybinka.sqlite")), r.stderr


@test
def a_large_import_leaves_no_wal_behind():
    """A few thousand features go through the WAL; the import checkpoints it with TRUNCATE, so no -wal file of
    the import's size stays behind, even while another process (here a plain reader, as a running server's
    would be) keeps SQLite from removing it when the import closes the store."""
    src = parcel_grid("many.geojson", 4000, 50000, 52.3700)
    reader = sqlite3.connect(f"file:{STORE}?mode=ro", uri=True)
    try:
        before = reader.execute("SELECT count(*) FROM parcels").fetchone()[0]
        r = odra("import", "--data", DATA, "--tenant", "slubice", "--as", "parcels", src)
        assert r.returncode == 0, r.stderr
        assert "4000 imported" in r.stderr, r.stderr
        assert reader.execute("SELECT count(*) FROM parcels").fetchone()[0] == before + 4000
        wal = STORE + "-wal"
        assert not os.path.exists(wal) or os.path.getsize(wal) == 0, os.path.getsize(wal)
    finally:
        reader.close()
    assert subprocess.run(["sqlite3", STORE, "PRAGMA integrity_check"], capture_output=True,
                          text=True).stdout.strip() == "ok"


@test
def an_import_waiting_to_truncate_the_wal_holds_off_no_writer():
    """A reader keeps an old snapshot open (as a running server's reader does mid-request): the import commits,
    then cannot truncate the WAL. While it tries, another writer (a resident's submission on the server) must
    still get the store; before, the import's checkpoint held off every writer for the whole 10 s busy timeout
    and the submission was refused. The import still succeeds, with a note, and the store stays whole."""
    src = parcel_grid("held.geojson", 3000, 70000, 52.3900)
    old = sqlite3.connect(f"file:{STORE}?mode=ro", uri=True, isolation_level=None)
    old.execute("BEGIN")
    before = old.execute("SELECT count(*) FROM parcels").fetchone()[0]  # its snapshot stays open from here
    probe = sqlite3.connect(f"file:{STORE}?mode=ro", uri=True)
    imp = subprocess.Popen([BIN, "import", "--data", DATA, "--tenant", "slubice", "--as", "parcels", src],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while imp.poll() is None and probe.execute("SELECT count(*) FROM parcels").fetchone()[0] == before:
            pass  # until the import has committed: its checkpoint starts now
        writer = sqlite3.connect(STORE, timeout=5, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # "database is locked" when the checkpoint holds writers off
        writer.execute("ROLLBACK")
        writer.close()
        out, err = imp.communicate(timeout=120)
        assert imp.returncode == 0 and "3000 imported" in err, err
        assert "readers still use it" in err, err  # the old snapshot is still open
        assert old.execute("SELECT count(*) FROM parcels").fetchone()[0] == before
    finally:
        if imp.poll() is None:
            imp.kill()
            imp.wait()
        old.execute("ROLLBACK")
        old.close()
        probe.close()
    reader = sqlite3.connect(f"file:{STORE}?mode=ro", uri=True)
    assert reader.execute("SELECT count(*) FROM parcels").fetchone()[0] == before + 3000
    reader.close()
    assert subprocess.run(["sqlite3", STORE, "PRAGMA integrity_check"], capture_output=True,
                          text=True).stdout.strip() == "ok"


@test
def usage_errors():
    r = odra("import", "--data", DATA, "--tenant", "nowhere", "--as", "parcels", "x.geojson")
    assert r.returncode == 2, r.stderr
    r = odra("import", "--data", DATA, "--tenant", "slubice", "--as", "unicorns",
             os.path.join(APP, "2_strefy_StrefaPlanistyczna_OK.gml"))
    assert r.returncode in (1, 2) and "unicorns" in r.stderr, r.stderr


done()
