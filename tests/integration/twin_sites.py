"""Two twin sites on loopback for tests and benchmarks (docs/twins.md): certificates made with the openssl
program, a TCP proxy in front of each site's twin listener that can cut the link, and a Site: one odra
server with [twin] in its config."""
import json
import os
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

from odra_test import BIN, ROOT, Server, fast_auth_config, free_port

ROOT_INI = os.path.join(ROOT, "odra.ini")


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def make_certs(tmp):
    """A CA and a certificate for each site (server and client use), for 127.0.0.1, under tmp/pki."""
    d = os.path.join(tmp, "pki")
    os.makedirs(d)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    sh("openssl", "req", "-x509", *ec, "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.crt", "-days", "2", "-subj",
       "/CN=odra twins test CA")
    ext = f"{d}/ext.cnf"
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n")
    for site in ("a", "b", "rogue"):
        sh("openssl", "req", *ec, "-keyout", f"{d}/{site}.key", "-out", f"{d}/{site}.csr", "-subj",
           f"/CN=site {site}")
        ca = "ca" if site != "rogue" else "rogue-ca"
        if site == "rogue":  # signed by another CA: must be refused
            sh("openssl", "req", "-x509", *ec, "-keyout", f"{d}/rogue-ca.key", "-out", f"{d}/rogue-ca.crt", "-days",
               "2", "-subj", "/CN=rogue CA")
        sh("openssl", "x509", "-req", "-in", f"{d}/{site}.csr", "-CA", f"{d}/{ca}.crt", "-CAkey", f"{d}/{ca}.key",
           "-CAcreateserial", "-out", f"{d}/{site}.crt", "-days", "2", "-extfile", ext)
    return d



class Proxy:
    """A TCP proxy in front of a site's twin listener that can drop every connection (a cut link)."""

    def __init__(self, target_port):
        self.target = target_port
        self.cut = False
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            c, _ = self.sock.accept()
            if self.cut:
                c.close()
                continue
            try:
                u = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data or self.cut:
                    break
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass

    def set_cut(self, cut):
        self.cut = cut
        if cut:
            with self.lock:
                for s in self.conns:
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                        s.close()
                    except OSError:
                        pass
                self.conns = []


class Site:
    """One odra instance: its data directory, config with [twin], the twin listener's port and a proxy in front
    of it through which the other site reaches it."""

    def __init__(self, name, data, tmp, pki, tenant):
        self.name, self.data, self.tmp, self.pki, self.tenant = name, data, tmp, pki, tenant
        self.twin_port = free_port()
        self.proxy = Proxy(self.twin_port)
        self.srv = None
        self.peer = None
        self.extra = ""

    def write_config(self):
        twin = (f"\n[twin]\nlisten = 127.0.0.1:{self.twin_port}\npeer = https://127.0.0.1:{self.peer.proxy.port}\n"
                f"cert = {self.pki}/{self.name}.crt\nkey = {self.pki}/{self.name}.key\nca = {self.pki}/ca.crt\n"
                f"ack_timeout_ms = 3000\n{self.extra}")
        with open(os.path.join(ROOT_INI), encoding="utf-8") as f:
            text = f.read() + twin
        d = os.path.join(self.tmp, f"cfg-{self.name}")
        os.makedirs(d, exist_ok=True)
        self.cfg = fast_auth_config(d, text)

    def start(self):
        self.write_config()
        self.srv = Server(self.data, config=self.cfg)
        self.wait_twin_listener()
        return self

    def wait_twin_listener(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.twin_port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("twin listener did not start")

    def kill(self):
        if self.srv and self.srv.proc.poll() is None:
            self.srv.proc.kill()
            self.srv.proc.wait()
        if self.srv:
            self.srv.log.close()
        self.srv = None

    def stop(self):
        if self.srv:
            self.srv.stop()
        self.srv = None

    def cli(self, *args):
        return subprocess.run([BIN, "twin", *args, "--config", self.cfg, "--data", self.data], capture_output=True,
                              text=True, timeout=120)

    def twin_get(self, path, cert=None):
        """GET on this site's twin listener as the other site (or with cert, a (crt, key) pair)."""
        ctx = ssl.create_default_context(cafile=f"{self.pki}/ca.crt")
        if cert is not False:
            crt, key = cert or (f"{self.pki}/{self.peer.name}.crt", f"{self.pki}/{self.peer.name}.key")
            ctx.load_cert_chain(crt, key)
        req = urllib.request.Request(f"https://127.0.0.1:{self.twin_port}{path}")
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def twin_post(self, path, body):
        ctx = ssl.create_default_context(cafile=f"{self.pki}/ca.crt")
        ctx.load_cert_chain(f"{self.pki}/{self.peer.name}.crt", f"{self.pki}/{self.peer.name}.key")
        req = urllib.request.Request(f"https://127.0.0.1:{self.twin_port}{path}", data=body, method="POST")
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def status(self):
        return self.twin_get(f"/twin/{self.tenant}/status")[1]

    def sql(self, q):
        return sh("sqlite3", os.path.join(self.data, f"{self.tenant}.sqlite"), q).stdout.strip()
