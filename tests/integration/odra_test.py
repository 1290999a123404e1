"""Shared helpers for integration tests: start the real server on a free port, talk HTTP, and print
PASS/FAIL lines that tests/run counts."""
import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.environ.get("ODRA_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("ODRA_BIN", os.path.join(ROOT, "build", "odra"))
SHARED = os.environ.get("ODRA_SHARED", os.path.join(ROOT, "..", "shared"))
TEST_DATA = os.environ.get("ODRA_TEST_DATA")  # demo stores made once by tests/run

_passed = 0
_failed = 0

# ---- temporary directories: removed when the test process ends ----
# Every directory made with tempfile.mkdtemp under a name starting with "odra-" by a test that imports this
# module (the helpers below and the tests' own TMP directories alike) is removed at exit, whether the test
# passed, failed or raised, and on SIGTERM. ODRA_KEEP_TMP=1 keeps them and prints their paths instead.
# Servers still running at exit are stopped first, so that none writes into a directory being removed.
KEEP_TMP = os.environ.get("ODRA_KEEP_TMP") == "1"
_tmp_dirs = []
_servers = []
_mkdtemp = tempfile.mkdtemp


def _mkdtemp_registered(suffix=None, prefix=None, dir=None):  # noqa: A002 - tempfile's own parameter name
    path = _mkdtemp(suffix, prefix, dir)
    if os.path.basename(path).startswith("odra-"):
        _tmp_dirs.append(path)
    return path


tempfile.mkdtemp = _mkdtemp_registered


def tmpdir(prefix="odra-test-"):
    """A private temporary directory, removed at exit (kept with ODRA_KEEP_TMP=1)."""
    return tempfile.mkdtemp(prefix=prefix)


def _cleanup():
    for s in list(_servers):
        try:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001 - exiting anyway
            pass
    if KEEP_TMP:
        for path in _tmp_dirs:
            if os.path.exists(path):
                print(f"kept (ODRA_KEEP_TMP=1): {path}", file=sys.stderr, flush=True)
        return
    for path in _tmp_dirs:
        shutil.rmtree(path, ignore_errors=True)


atexit.register(_cleanup)


def _on_sigterm(signum, frame):
    sys.exit(128 + signum)  # SystemExit: atexit handlers run


if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _on_sigterm)


def test(fn):
    """Runs fn now and prints PASS or FAIL with the reason."""
    global _passed, _failed
    try:
        fn()
        _passed += 1
        print(f"PASS {fn.__name__}", flush=True)
    except Exception:  # noqa: BLE001 - a test failure of any kind
        _failed += 1
        for line in traceback.format_exc().rstrip().splitlines():
            print(f"  {line}")
        print(f"FAIL {fn.__name__}", flush=True)
    return fn


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: ")


def sanitizer_check(what, log):
    """Counts a failure if log (a server's or a command's output) holds an AddressSanitizer, LeakSanitizer or
    UBSan report: under `make asan` a server's report at exit would otherwise go unseen in its log file.
    Whether it did."""
    global _failed
    at = min((i for i in (log.find(m) for m in SANITIZER_MARKS) if i >= 0), default=-1)
    if at < 0:
        return False
    _failed += 1
    for line in log[max(0, at - 200):at + 3000].splitlines():
        print(f"  {line}")
    print(f"FAIL sanitizer_report ({what})", flush=True)
    return True


def server_died(what, signum, log):
    """Counts a failure for a server that died of signal signum before the test stopped it; its log's end."""
    global _failed
    _failed += 1
    for line in log[-3000:].splitlines():
        print(f"  {line}")
    print(f"FAIL server_died ({what}, signal {signum})", flush=True)


def done():
    print(f"{_passed} passed, {_failed} failed")
    sys.exit(1 if _failed else 0)


def demo_data(copy=False):
    """A directory with the five demo stores. With copy=True a private copy the test may change."""
    src = TEST_DATA
    if not src or not os.path.exists(os.path.join(src, "slubice.sqlite")):
        src = tempfile.mkdtemp(prefix="odra-demo-")
        subprocess.run([BIN, "demo", "--data", src], check=True, capture_output=True)
    if not copy:
        return src
    dst = tempfile.mkdtemp(prefix="odra-data-")
    for name in os.listdir(src):
        if name.endswith(".sqlite"):
            shutil.copy(os.path.join(src, name), dst)
    if os.path.isdir(os.path.join(src, "seal")):  # the demo's TEST seals (`odra demo`)
        shutil.copytree(os.path.join(src, "seal"), os.path.join(dst, "seal"))
    return dst


def fast_auth_config(tmp, text=None):
    """odra.ini (the shipped one, or text) with a cheap Argon2id cost and no practical log-in limits, written
    into the directory tmp: for tests that log in often. Its path."""
    if text is None:
        with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
            text = f.read()
    text += "\n[auth]\nopslimit = 1\nmemlimit = 8388608\nlogin_per_ip = 10000\nlogin_per_account = 10000\n"
    path = os.path.join(tmp, "odra.ini")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


class Cli:
    """The odra command line on one config and data directory: accounts and API clients as an operator makes
    them."""

    def __init__(self, config, data):
        self.config, self.data = config, data

    def run(self, *args, stdin=None):
        return subprocess.run([BIN, *args, "--config", self.config, "--data", self.data], input=stdin,
                              capture_output=True, text=True, timeout=60)

    def user(self, login, password, *opts):
        """A person's account (resident without opts; --tenant T --role R for staff, --admin)."""
        r = self.run("user", "add", *opts, login, stdin=password + "\n")
        assert r.returncode == 0, r.stderr

    def client(self, name, tenant, *scopes):
        """A new API client of tenant with scopes; its key, printed once."""
        args = ["client", "add", "--tenant", tenant]
        for s in scopes:
            args += ["--scope", s]
        r = self.run(*args, name)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()


class Server:
    """The real odra server on a free port, stopped with SIGTERM."""

    def __init__(self, data, config=None, extra_ini=None):
        self.tmp = tempfile.mkdtemp(prefix="odra-srv-")
        cfg = config
        if extra_ini is not None:
            with open(os.path.join(ROOT, "odra.ini"), encoding="utf-8") as f:
                text = f.read()
            for key, value in extra_ini.items():
                import re
                text = re.sub(rf"^{key}\s*=.*$", f"{key} = {value}", text, count=1, flags=re.M)
            cfg = os.path.join(self.tmp, "odra.ini")
            with open(cfg, "w", encoding="utf-8") as f:
                f.write(text)
        self.port = free_port()
        args = [BIN, "serve", "--data", data, "--listen", f"127.0.0.1:{self.port}"]
        if cfg:
            args += ["--config", cfg]
        self.log = open(os.path.join(self.tmp, "server.log"), "w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        _servers.append(self)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.read_log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def read_log(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def request(self, method, path, body=None, headers=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def get_json(self, path, expect=200):
        status, headers, data = self.get(path)
        assert status == expect, f"{path}: status {status}, body {data[:300]!r}"
        return json.loads(data)

    def alive(self):
        return self.proc.poll() is None and self.get("/health")[0] == 200

    def stop(self):
        exited = self.proc.poll()  # not None: the server ended before stop() (killed by the test, or died)
        if exited is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            log = self.read_log()
            if not sanitizer_check(f"server on port {self.port}", log) and exited is not None and exited < 0 \
                    and exited != -signal.SIGKILL:
                # died of a signal no test sends, without a sanitizer report: an abort (assert, GLib, C++ terminate)
                # or a crash, which would otherwise show only as refused connections
                server_died(f"server on port {self.port}", -exited, log)
            elif exited is not None and exited >= 0:  # ended on its own, or by another's SIGTERM: say how
                tail = " | ".join(log.rstrip().splitlines()[-3:])
                print(f"  note: server on port {self.port} had exited (status {exited}) before stop(): {tail}",
                      flush=True)
            self.log.close()
        return self.proc.returncode


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_json_error(status, headers, data, expect_status, code=None):
    assert status == expect_status, f"status {status} != {expect_status}: {data[:300]!r}"
    assert headers.get("content-type", "").startswith("application/json"), headers
    j = json.loads(data)
    assert isinstance(j.get("code"), str) and isinstance(j.get("description"), str), j
    if code:
        assert j["code"] == code, j
    return j
