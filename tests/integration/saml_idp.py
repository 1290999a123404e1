"""A local SAML identity provider (pysaml2, tests/saml/idp.py) and an odra server that trusts it, for the
integration tests that log in with login.gov.pl (test_saml.py, test_whole_flow.py). Keys are made by openssl
for the run; the server gets a private copy of the demo stores with an identity store of its own."""
import html.parser
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import odra_test as T  # noqa: E402

IDP_SCRIPT = os.path.join(T.ROOT, "tests", "saml", "idp.py")
SP_ENTITY = "https://odra.test/saml/sp"


def keypair(d, name, ec=False):
    """A self-signed key and certificate, d/name.key and d/name.crt: RSA, or with ec a P-256 key as
    login.gov.pl uses."""
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] if ec else ["-newkey", "rsa:2048"]
    subprocess.run(["openssl", "req", "-x509", *newkey, "-nodes", "-sha256", "-days", "2",
                    "-subj", f"/CN=odra test {name}", "-keyout", os.path.join(d, name + ".key"),
                    "-out", os.path.join(d, name + ".crt")], check=True, capture_output=True)
    return os.path.join(d, name + ".key"), os.path.join(d, name + ".crt")


def private_data():
    """A private copy of the demo stores, with an identity store of its own."""
    data = T.demo_data(copy=True)
    if os.path.exists(os.path.join(data, "identity.sqlite")):
        os.remove(os.path.join(data, "identity.sqlite"))
    return data


def launch(d, sp_key, sp_cert, rogue_key, rogue_cert, slo_binding="soap", extra_ini="", ec=False):
    """An IdP (keys idp.key/idp.crt in d) and an odra server whose [saml] section trusts it, with extra_ini
    appended to its config. odra's port is fixed first: its public_url (the ACS address in its metadata)
    must name it. With ec the IdP works as WK does (P-256 keys, ECDSA, ECDH-ES: the keys must be EC ones).
    Returns (port, base URL, the IdP process, the IdP's port, the config text, the Server),
    the Server with .data and .config set."""
    port = T.free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, IDP_SCRIPT, "--dir", d, "--sp-metadata-url", base + "/auth/saml/metadata",
         "--rogue-key", rogue_key, "--rogue-cert", rogue_cert, "--slo-binding", slo_binding]
        + (["--ec"] if ec else []),
        stdout=subprocess.PIPE, stderr=open(os.path.join(d, "idp.log"), "w"), text=True)
    line = proc.stdout.readline()
    assert line.startswith("READY "), f"IdP did not start: {line!r}"
    with open(os.path.join(T.ROOT, "odra.ini"), encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"^public_url\s*=.*$", f"public_url = {base}", text, count=1, flags=re.M)
    text += f"""
[saml]
sp_entity_id = {SP_ENTITY}
sp_key = {sp_key}
sp_cert = {sp_cert}
idp_metadata = {os.path.join(d, "idp-metadata.xml")}
binding = artifact
""" + extra_ini
    config = os.path.join(d, "odra.ini")
    with open(config, "w", encoding="utf-8") as f:
        f.write(text)
    free_port = T.free_port
    T.free_port = lambda: port
    try:
        server = T.Server(private_data(), config=config)
    finally:
        T.free_port = free_port
    server.data = server.proc.args[server.proc.args.index("--data") + 1]
    server.config = config
    return port, base, proc, int(line.split()[1]), text, server


class FormParser(html.parser.HTMLParser):
    """The action and the named inputs of an HTML form (the IdP's auto-submitted POST binding form)."""

    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        if tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")
