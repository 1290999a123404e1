"""Helpers for the APP import tests: the official samples from $ODRA_SHARED/data/app (read there, never
copied into the project), copies of them rewritten at test time into the faults the import must refuse,
and a store for the samples' fictitious "gmina Testowa".

How the tests handle gmina Testowa: the samples carry the IIP namespace PL.ZIPPZP.1234/121201-POG (TERYT
121201, in małopolskie, EPSG:2178). A test-only config adds a tenant `testowa` with TERYT 1212011 next to
the five real gminas, and `odra boundary` sets its territory from the sample act's zasięg (a POG covers
its whole gmina). The samples then import unchanged into that store, and the faulty ones are refused
exactly as a real gmina's would be. No sample is rewritten to make it pass."""
import hashlib
import os
import re
import subprocess
import tempfile

from odra_test import BIN, ROOT, SHARED

APP = os.path.join(SHARED, "data", "app")
OK = os.path.join(APP, "2_strefy_StrefaPlanistyczna_OK.gml")
ACT = os.path.join(APP, "2_pog_AktPlanowaniaPrzestrzennego.gml")
XSD = os.path.join(APP, "planowaniePrzestrzenne_2_0.xsd")
TMP = tempfile.mkdtemp(prefix="odra-app-")

TESTOWA = """
[tenant testowa]
name = Testowa
teryt = 1212011
organ = Wójt Gminy Testowa
"""


def config():
    """odra.ini of the repository plus the test tenant `testowa` (the samples' gmina)."""
    path = os.path.join(TMP, "testowa.ini")
    if not os.path.exists(path):
        with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + TESTOWA)
    return path


def odra(*args, timeout=600):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)


def testowa_store():
    """A fresh data directory whose `testowa` store has the sample act's zasięg as its territory."""
    d = tempfile.mkdtemp(prefix="testowa-", dir=TMP)
    r = odra("boundary", "--config", config(), "--data", d, "--tenant", "testowa", ACT)
    assert r.returncode == 0, r.stderr
    return d


def import_into(data, tenant, *files, extra=()):
    return odra("import", "--config", config(), "--data", data, "--tenant", tenant, *extra, *files)


def digest(store):
    """The store's bytes (and its WAL's, when there is one)."""
    h = hashlib.sha256()
    for suffix in ("", "-wal"):
        p = store + suffix
        if os.path.exists(p):
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def rewrite(name, out, *pairs, count=0):
    """A copy of a sample (or of any path) with each (old, new) replaced (the first `count`, 0 for all)."""
    src = name if os.path.isabs(name) else os.path.join(APP, name)
    with open(src, encoding="utf-8") as f:
        text = f.read()
    for old, new in pairs:
        assert old in text, (old, src)
        text = text.replace(old, new, count or -1)
    path = os.path.join(TMP, out)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def members(path):
    with open(path, encoding="utf-8") as f:
        return re.findall(r"<wfs:member>.*?</wfs:member>", f.read(), re.S)


def combined(out, *paths):
    """One FeatureCollection with the members of several files (an act and its zones)."""
    with open(paths[0], encoding="utf-8") as f:
        head = f.read()
    rest = "\n".join(m for p in paths[1:] for m in members(p))
    path = os.path.join(TMP, out)
    with open(path, "w", encoding="utf-8") as f:
        f.write(head.replace("</wfs:FeatureCollection>", rest + "\n</wfs:FeatureCollection>"))
    return path


def required_elements(feature_type):
    """The elements the APP XSD requires (minOccurs >= 1) of a feature type, with its base types, read
    from the XSD itself with ElementTree: the oracle the C reader of the same file is checked against."""
    import xml.etree.ElementTree as ET
    X = "{http://www.w3.org/2001/XMLSchema}"
    root = ET.parse(XSD).getroot()
    types = {ct.get("name"): ct for ct in root.findall(X + "complexType")}
    elements = {e.get("name"): e for e in root.findall(X + "element")}
    out = []
    tname = elements[feature_type].get("type").split(":")[1]
    while tname in types:
        ct = types[tname]
        ext = ct.find(f"{X}complexContent/{X}extension")
        seq = ext.find(X + "sequence") if ext is not None else ct.find(X + "sequence")
        own = [e.get("name") for e in (seq if seq is not None else [])
               if e.tag == X + "element" and e.get("minOccurs", "1") != "0"]
        out = own + out
        base = ext.get("base") if ext is not None else ""
        tname = base.split(":")[1] if base.startswith("app:") else None
    return out
