"""Extracts issued at once under concurrency (issue 20): the document is rendered outside the write transaction
with the case number its ticket foresaw, and the writes commit in the order of the numbers, several to a commit
(services/issue_order.h). In Cybinka (extract_issue = on_payment) four clients ask as a budget unit (exempt: issued
at once) while a fifth registers requests that wait for payment (each draws a case number of the same sequence
in its own write, taking numbers tickets foresaw, so later documents are rendered again under the writer), and
a sixth sends a parcel the store does not hold (422 before any number is foreseen). Checked: every answer is 201
or that 422; the year's case numbers run 1..N without a gap or a repeat; each extract's seq is its case's; and
each stored PDF prints its own case number and no other issued here (pdftotext)."""
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from odra_test import Server, demo_data, done, test  # noqa: E402

T = "cybinka"
JSON = {"Content-Type": "application/json"}
PARCELS = [["080501_4.0001.1429"], ["080501_4.0001.143"], ["080501_4.0001.1430"], ["080501_4.0001.1429", "080501_4.0001.143"]]
MISSING = "080501_4.0001.999998"
PER_CLIENT = 8
DATA = demo_data(copy=True)
STORE = os.path.join(DATA, f"{T}.sqlite")
# Six clients on four worker threads: a connection handed to a worker that is rendering waits there unread, and
# the head deadline and the idle timeout count that wait (services/server.c); under ASan a render takes seconds,
# so both are widened here, where the subject is the numbering, not the deadlines.
srv = Server(DATA, extra_ini={"head_timeout": "300", "timeout": "300"})
answers, registered, refusals, others = [], [], [], []


def sql(query):
    return subprocess.run(["sqlite3", STORE, query], check=True, capture_output=True, text=True).stdout.strip()


def post(parcels, n, **applicant):
    body = {"parcels": parcels, "applicant": {"name": f"Wnioskodawca {n}", "address": "ul. Kościuszki 1, Cybinka",
                                              **applicant},
            "purpose": "sprzedaż", "documents": ["wyrys"]}
    return srv.request("POST", f"/{T}/extracts", body=json.dumps(body).encode(), headers=JSON, timeout=120)


def issuer(k):
    for n in range(PER_CLIENT):
        st, _, data = post(PARCELS[k], n, kind="budget_unit", email="urzad@example.pl")
        (answers if st == 201 else others).append(json.loads(data) if st == 201 else (st, data[:200]))


def background(stop, parcels, want, into, **applicant):
    n = 0
    while not stop.is_set() and n < 200:
        n += 1
        st, _, data = post(parcels, n, **applicant)
        (into if st == want else others).append(json.loads(data) if st == want else (st, data[:200]))
        time.sleep(0.005)


@test
def concurrent_issues_with_registrations_and_refusals_between_all_answer():
    stop = threading.Event()
    workers = [threading.Thread(target=issuer, args=(k,)) for k in range(len(PARCELS))]
    others_ = [threading.Thread(target=background, args=(stop, PARCELS[0], 201, registered),
                                kwargs={"email": "jan@example.pl"}),
               threading.Thread(target=background, args=(stop, [MISSING], 422, refusals), kwargs={"email": "jan@example.pl"})]
    for w in others_ + workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    for w in others_:
        w.join()
    assert not others, others[:3]
    assert len(answers) == PER_CLIENT * len(PARCELS) and refusals and registered, (len(answers), len(refusals))
    assert all(a["status"] == "issued" for a in answers) and not any(r["status"] == "issued" for r in registered)
    renders = srv.read_log().count("rendered again under the writer")
    print(f"  {len(answers)} issued at once, {len(registered)} registered between them, {len(refusals)} refused; "
          f"{renders} documents rendered again under the writer")


@test
def numbers_run_without_gap_or_repeat_and_each_extract_has_its_cases_number():
    year = time.strftime("%Y")
    used = sorted(int(x) for x in sql(f"SELECT seq FROM cases WHERE year = {year}").split())
    seq = int(sql(f"SELECT seq FROM case_sequences WHERE year = {year}"))
    assert used == list(range(1, seq + 1)), (seq, used)
    assert sql("SELECT count(*) FROM extracts x JOIN cases c ON c.id = x.id "
               "WHERE x.seq != c.seq OR x.case_number != c.case_number") == "0"
    numbers = {a["case_number"] for a in answers}
    assert len(numbers) == len(answers)
    for a in answers:
        assert sql(f"SELECT case_number FROM cases WHERE id = '{a['id']}'") == a["case_number"], a["id"]


@test
def each_pdf_prints_its_own_case_number_and_no_other():
    numbers = {a["case_number"] for a in answers}
    for a in answers:
        st, _, pdf = srv.get(urllib.parse.urlparse(a["links"]["pdf"]).path, timeout=30)
        assert st == 200 and pdf.startswith(b"%PDF"), st
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        flat = re.sub(r"\s+", " ", text)
        printed = {n for n in numbers if n in flat}
        assert printed == {a["case_number"]}, (a["case_number"], sorted(printed))


try:
    pass
finally:
    srv.stop()
    shutil.rmtree(DATA, ignore_errors=True)
done()
