"""Cases of every module survive kill -9: while anonymous clients request extracts and signed-in residents file
waste declarations in the same gmina (Rzepin: an extract waits for a clerk, a declaration is filed), the server
is killed at a random moment, restarted on the same store, and killed again, several times. Afterwards every
case answered 201 (extract or declaration) is there with the number it was answered with; the gmina's one
sequence for the year runs 1..N without a gap or a repeat across both modules; every waste case has exactly
its declaration and every declaration filed as a case its case (they commit together); and the store passes
SQLite's own integrity check (the sqlite3 shell as the oracle)."""
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import Cli, Server, demo_data, done, fast_auth_config, test  # noqa: E402

T = "rzepin"
JSON = {"Content-Type": "application/json"}
DATA = demo_data(copy=True)
if os.path.exists(os.path.join(DATA, "identity.sqlite")):
    os.remove(os.path.join(DATA, "identity.sqlite"))
STORE = os.path.join(DATA, f"{T}.sqlite")
TMP = tempfile.mkdtemp(prefix="odra-cases-crash-")
RESIDENTS = {"ala": "ala-haslo-000001", "olek": "olek-haslo-00002"}
ROUNDS = 4
rng = random.Random(int(os.environ.get("ODRA_CRASH_SEED", "15")))


CFG = fast_auth_config(TMP)
for login, pw in RESIDENTS.items():
    Cli(CFG, DATA).user(login, pw)


def sql(query):
    return subprocess.run(["sqlite3", STORE, query], check=True, capture_output=True, text=True).stdout.strip()


def an_address():
    row = sql("SELECT s.name || ' ' || a.number || ', ' || l.name FROM addresses a JOIN localities l "
              "ON l.id = a.locality_id JOIN streets s ON s.id = a.street_id ORDER BY a.id LIMIT 1 OFFSET 5")
    assert row, "no street address in the Rzepin demo store"
    return row


ADDRESS = an_address()
PARCEL = sql("SELECT parcel_id FROM parcels ORDER BY id LIMIT 1")
answered = []  # (module, case id, case number) of every 201
lock = threading.Lock()


def log_in(srv, login):
    st, h, body = srv.request("POST", "/auth/login", body=json.dumps({"login": login, "password": RESIDENTS[login]}),
                              headers=JSON, timeout=60)
    assert st == 200, (login, st, body)
    tok = re.match(r"odra_session=([^;]+);", h["set-cookie"]).group(1)
    return {**JSON, "Cookie": f"odra_session={tok}", "X-CSRF-Token": json.loads(body)["csrf_token"]}


def extracts_until_killed(srv, stop):
    n = 0
    while not stop.is_set():
        n += 1
        body = {"parcels": [PARCEL], "applicant": {"name": f"Wnioskodawca {n}", "email": f"w{n}@example.pl"}}
        try:
            st, _, data = srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(), headers=JSON,
                                      timeout=60)
        except OSError:  # killed under this request: not acknowledged
            return
        if st == 201:
            j = json.loads(data)
            with lock:
                answered.append(("extracts", j["id"], j["case_number"]))


def declarations_until_killed(srv, headers, stop):
    payer = None
    while not stop.is_set():
        body = {"address": ADDRESS, "residents": rng.randint(1, 5), "name": "Mieszkaniec Rzepina",
                "pesel": "44051401359", "legal_title": "ownership", "building_type": "single_family"}
        if payer:
            body["payer_id"] = payer
        try:
            st, _, data = srv.request("POST", f"/{T}/waste/declarations", body=json.dumps(body).encode(),
                                      headers=headers, timeout=60)
        except OSError:
            return
        if st == 201:
            j = json.loads(data)
            payer = j["payer_id"]
            with lock:
                answered.append(("waste", j["case"]["id"], j["case"]["case_number"]))


@test
def kill_9_at_random_moments_while_extracts_and_declarations_are_filed():
    sessions = None
    for k in range(ROUNDS):
        srv = Server(DATA, config=CFG)
        if sessions is None:  # sessions live in the identity store: they outlast the kills
            sessions = [log_in(srv, login) for login in RESIDENTS]
        stop = threading.Event()
        workers = [threading.Thread(target=extracts_until_killed, args=(srv, stop)) for _ in range(2)]
        workers += [threading.Thread(target=declarations_until_killed, args=(srv, s, stop)) for s in sessions]
        for w in workers:
            w.start()
        # a random moment, counted in acknowledged cases rather than seconds, so that a slow machine still
        # kills mid-stream after enough work: 10 to 20 answers (at most 60 s), then up to 0.3 s more
        want, t_end = len(answered) + rng.randint(10, 20), time.time() + 60
        while len(answered) < want and time.time() < t_end:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.3))
        srv.proc.kill()
        srv.proc.wait()
        stop.set()
        for w in workers:
            w.join()
        srv.stop()  # already killed: checks its log for a sanitizer report made before
        assert sql("PRAGMA integrity_check") == "ok", k
    modules = {m for m, _, _ in answered}
    print(f"  {len(answered)} cases acknowledged in {ROUNDS} kills: "
          f"{sum(1 for m, _, _ in answered if m == 'waste')} declarations")
    assert modules == {"extracts", "waste"} and len(answered) >= 40, (modules, len(answered))


@test
def no_acknowledged_case_is_lost_and_numbers_run_without_gap_or_repeat():
    year = time.strftime("%Y")
    stored = dict(line.split("|", 1) for line in sql(f"SELECT id, case_number FROM cases WHERE year = {year}").splitlines())
    for module, cid, number in answered:
        assert stored.get(cid) == number, (module, cid, number, stored.get(cid))
    seq = int(sql(f"SELECT coalesce((SELECT seq FROM case_sequences WHERE year = {year}), 0)"))
    used = sorted(int(x) for x in sql(f"SELECT seq FROM cases WHERE year = {year}").split())
    assert used == list(range(1, seq + 1)), (seq, used[:20], len(used))
    assert sql("SELECT count(*) - count(DISTINCT case_number) FROM cases") == "0"


@test
def each_waste_case_has_its_declaration_and_each_declaration_its_case():
    assert sql("SELECT count(*) FROM cases c LEFT JOIN waste_declarations d ON d.case_id = c.id "
               "WHERE c.module = 'waste' AND d.id IS NULL") == "0"
    assert sql("SELECT count(*) FROM waste_declarations d LEFT JOIN cases c ON c.id = d.case_id "
               "WHERE d.case_id IS NOT NULL AND c.id IS NULL") == "0"
    assert sql("SELECT count(*) - count(DISTINCT case_id) FROM waste_declarations WHERE case_id IS NOT NULL") == "0"
    waste = sum(1 for m, _, _ in answered if m == "waste")
    assert int(sql("SELECT count(*) FROM cases WHERE module = 'waste'")) >= waste


@test
def filing_goes_on_with_the_next_number_after_the_last_restart():
    srv = Server(DATA, config=CFG)
    try:
        h = log_in(srv, "ala")
        st, _, data = srv.request("POST", f"/{T}/waste/declarations", headers=h, timeout=60,
                                  body=json.dumps({"address": ADDRESS, "residents": 1, "name": "Ala",
                                                   "pesel": "02270803624", "legal_title": "lease",
                                                   "building_type": "multi_family"}).encode())
        assert st == 201, data[:300]
        year = time.strftime("%Y")
        number = json.loads(data)["case"]["case_number"]
        seq = sql(f"SELECT seq FROM case_sequences WHERE year = {year}")
        assert number.split(".")[-2] == seq and sql(f"SELECT count(*) FROM cases WHERE year = {year}") == seq
    finally:
        srv.stop()


done()
