#!/usr/bin/env python3
"""A real SAML 2.0 identity provider for tests/integration/test_saml.py, built on pysaml2 (Debian's
python3-pysaml2, which signs and encrypts with the xmlsec1 program).

It behaves as login.gov.pl (Węzeł Krajowy) does where that matters to the service provider:
- the AuthnRequest arrives by HTTP-Redirect and must carry a valid signature of the SP (checked here
  over the raw query, as the SAML bindings define it);
- the answer goes back by the binding the request asked for (HTTP-Artifact as WK, or HTTP-POST);
- the assertion is signed, then encrypted for the SP (AES-256-GCM content, RSA-OAEP key transport);
- with --ec, as WK itself: P-256 keys, ecdsa-sha256 signatures (by the xmlsec1 program, through pysaml2),
  and the assertion encrypted here with python3-cryptography as xmlenc 1.1 ECDH-ES key agreement (an
  ephemeral P-256 key, ConcatKDF with SHA-256), kw-aes256 of the content key and AES-256-GCM;
- the artifact is resolved over SOAP (ArtifactResolve → signed ArtifactResponse), single logout takes a
  SOAP LogoutRequest.
The attributes are eIDAS natural-person attributes, as WK sends them.

Usage: idp.py --dir DIR --sp-metadata-url URL [--rogue-key K --rogue-cert C] [--ec]. DIR holds idp.key and idp.crt;
the IdP binds a free port, writes DIR/idp-metadata.xml and prints "READY <port>".

The test adds `mode=` to the SSO URL (the signature covers only the SAML parameters) to make the IdP answer
wrongly on purpose: unsigned, tamper (PESEL changed after signing), expired, audience (another SP), rogue
(signed by a key not in the IdP metadata), plain (not encrypted); in EC mode also hostile encryptions:
badtag (GCM tag broken), badpoint (an ephemeral key off the curve), truncated (CipherValue cut short),
hugeb64 (a CipherValue of 400 kB), badkdf (a ConcatKDF parameter without its leading 00 octet); and `binding=post|artifact` to override the
requested binding; `person=` picks who logs in (zofia, jan, or nopesel and badpesel: answers without a
usable PESEL). GET /_last tells what the IdP saw of the last AuthnRequest; GET /_logouts the NameIDs
logged out by SOAP.
"""
import argparse
import base64
import hashlib
import html
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from saml2 import BINDING_HTTP_ARTIFACT, BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, BINDING_SOAP, samlp
from saml2.config import IdPConfig
from saml2.pack import http_form_post_message
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_UNSPECIFIED, NameID
from saml2.server import Server
from saml2.sigver import get_pem_wrapped_unwrapped, pre_encryption_part

EIDAS = "http://eidas.europa.eu/attributes/naturalperson/"
AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
RSA_OAEP = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
# pysaml2 signs ECDSA through the xmlsec1 program, but its sign() checks a list without ECDSA: extended.
import saml2.entity  # noqa: E402
if ECDSA_SHA256 not in [long for _, long in saml2.entity.SIG_ALLOWED_ALG]:
    saml2.entity.SIG_ALLOWED_ALG = tuple(saml2.entity.SIG_ALLOWED_ALG) + (("ecdsa-sha256", ECDSA_SHA256),)
SIG_HASHES = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512,
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1,
}

# The person the IdP vouches for (a syntactically valid PESEL of someone born 1985-03-14).
PERSON = {
    EIDAS + "CurrentGivenName": ["Zofia"],
    EIDAS + "CurrentFamilyName": ["Wiśniewska-Kowalczyk"],
    EIDAS + "PersonIdentifier": ["85031412345"],
    EIDAS + "DateOfBirth": ["1985-03-14"],
}
# Others, chosen by `person=` on the SSO URL: a second person, whose PESEL comes in the eIDAS form
# "PL/PL/<PESEL>", and answers without a usable PESEL.
PERSONS = {
    "zofia": PERSON,
    "jan": {
        EIDAS + "CurrentGivenName": ["Jan"],
        EIDAS + "CurrentFamilyName": ["Nowak"],
        EIDAS + "PersonIdentifier": ["PL/PL/90010154321"],
        EIDAS + "DateOfBirth": ["1990-01-01"],
    },
    "nopesel": {k: v for k, v in PERSON.items() if not k.endswith("PersonIdentifier")},
    "badpesel": dict(PERSON, **{EIDAS + "PersonIdentifier": ["8503141234"]}),
}


def hexinfo(data):
    """A ConcatKDFParams attribute (xmlenc 1.1 §5.4.1): hexBinary of a bit string, its first octet the
    number of padding bits (00: whole octets)."""
    return "00" + data.hex()


def ec_encrypt(response, sp_cert, idp_entity, sp_entity, hostile=()):
    """The signed assertion in pysaml2's `<saml:EncryptedAssertion><saml:Assertion …>` replaced by xmlenc 1.1
    EncryptedData as WK makes it: ECDH-ES with an ephemeral P-256 key (dsig11:ECKeyValue), ConcatKDF SHA-256
    over AlgorithmID, PartyUInfo and PartyVInfo, kw-aes256 of a random AES-256 key, AES-256-GCM with the IV
    before and the tag after the ciphertext. `hostile` names ways to break it on purpose."""
    m = re.search(r"(<(\w+:)?EncryptedAssertion[^>]*>)(.*)(</(\w+:)?EncryptedAssertion>)", response, re.S)
    plain = m.group(3).encode()
    eph = ec.generate_private_key(ec.SECP256R1())
    z = eph.exchange(ec.ECDH(), sp_cert.public_key())
    alg_id = "http://www.w3.org/2001/04/xmlenc#kw-aes256".encode()
    params = [hexinfo(alg_id), hexinfo(idp_entity.encode()), hexinfo(sp_entity.encode())]
    kek = ConcatKDFHash(hashes.SHA256(), 32, alg_id + idp_entity.encode() + sp_entity.encode()).derive(z)
    if "badkdf" in hostile:
        params[0] = params[0][2:]
    cek = os.urandom(32)
    iv = os.urandom(12)
    value = iv + AESGCM(cek).encrypt(iv, plain, None)
    if "badtag" in hostile:
        value = value[:-1] + bytes([value[-1] ^ 1])
    if "truncated" in hostile:
        value = value[:20]
    point = eph.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    if "badpoint" in hostile:
        point = b"\x04" + bytes(range(64))
    cipher = base64.b64encode(value).decode()
    if "hugeb64" in hostile:
        cipher = "QUFB" * 100000
    sp_der = base64.b64encode(sp_cert.public_bytes(Encoding.DER)).decode()
    enc = (
        '<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Type="http://www.w3.org/2001/04/xmlenc#Element">'
        '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>'
        '<ds:KeyInfo><xenc:EncryptedKey>'
        '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#kw-aes256"/>'
        '<ds:KeyInfo><xenc:AgreementMethod Algorithm="http://www.w3.org/2009/xmlenc11#ECDH-ES">'
        '<xenc11:KeyDerivationMethod xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" '
        'Algorithm="http://www.w3.org/2009/xmlenc11#ConcatKDF">'
        f'<xenc11:ConcatKDFParams AlgorithmID="{params[0]}" PartyUInfo="{params[1]}" PartyVInfo="{params[2]}">'
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        '</xenc11:ConcatKDFParams></xenc11:KeyDerivationMethod>'
        '<xenc:OriginatorKeyInfo><ds:KeyValue><dsig11:ECKeyValue xmlns:dsig11="http://www.w3.org/2009/xmldsig11#">'
        '<dsig11:NamedCurve URI="urn:oid:1.2.840.10045.3.1.7"/>'
        f'<dsig11:PublicKey>{base64.b64encode(point).decode()}</dsig11:PublicKey>'
        '</dsig11:ECKeyValue></ds:KeyValue></xenc:OriginatorKeyInfo>'
        f'<xenc:RecipientKeyInfo><ds:X509Data><ds:X509Certificate>{sp_der}</ds:X509Certificate></ds:X509Data>'
        '</xenc:RecipientKeyInfo></xenc:AgreementMethod></ds:KeyInfo>'
        f'<xenc:CipherData><xenc:CipherValue>{base64.b64encode(aes_key_wrap(kek, cek)).decode()}'
        '</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>'
        f'<xenc:CipherData><xenc:CipherValue>{cipher}</xenc:CipherValue></xenc:CipherData>'
        '</xenc:EncryptedData>')
    return response[:m.start(3)] + enc + response[m.end(3):]


class TestServer(Server):
    """pysaml2's IdP, with the encryption step opened up: `mutate` may change the signed assertion before
    it is encrypted (a tampered assertion), and the content is encrypted with AES-256-GCM (in EC mode by
    ec_encrypt, `hostile` naming how to break it)."""

    mutate = None
    ec_mode = False
    hostile = ()

    def _encrypt_assertion(self, encrypt_cert, sp_entity_id, response, node_xpath=None):
        response = str(response)
        if self.mutate:
            response = self.mutate(response)
        if self.ec_mode:
            cert = x509.load_der_x509_certificate(base64.b64decode(encrypt_cert))
            return ec_encrypt(response, cert, self.config.entityid, sp_entity_id, self.hostile)
        cert = encrypt_cert or self.metadata.certs(sp_entity_id, "any", "encryption")[0][1]
        wrapped, unwrapped = get_pem_wrapped_unwrapped(cert)
        with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
            f.write(wrapped)
        try:
            template = pre_encryption_part(msg_enc=AES256_GCM, key_enc=RSA_OAEP, encrypt_cert=unwrapped)
            return self.sec.encrypt_assertion(response, f.name, template, key_type="aes-256", node_xpath=node_xpath)
        finally:
            os.unlink(f.name)


def soap_envelope(signed_xml):
    """A SOAP 1.1 envelope around a signed SAML message, which is copied byte for byte (pysaml2's own
    wrapper rewrites it and so breaks the signature)."""
    body = re.sub(r"^<\?xml[^>]*\?>\s*", "", signed_xml)
    return ('<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body>'
            + body + "</soap-env:Body></soap-env:Envelope>")


def idp_config(base, key, cert, sp_metadata, lifetime_minutes=5, slo_binding=BINDING_SOAP, ec_mode=False):
    return IdPConfig().load({
        "entityid": base + "/idp",
        "service": {"idp": {
            "name": "Test IdP (Węzeł Krajowy stand-in)",
            "endpoints": {
                "single_sign_on_service": [(base + "/sso", BINDING_HTTP_REDIRECT)],
                "artifact_resolution_service": [(base + "/ars", BINDING_SOAP)],
                "single_logout_service": [(base + "/slo", slo_binding)],
            },
            "policy": {"default": {"lifetime": {"minutes": lifetime_minutes}, "attribute_restrictions": None,
                                   "name_form": NAME_FORMAT_URI}},
            "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
            "want_authn_requests_signed": False,  # checked over the raw query below
            # Read per service (pysaml2 looks them up in the idp context, not at the top level).
            "signing_algorithm": ECDSA_SHA256 if ec_mode else RSA_SHA256,
            "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
        }},
        "key_file": key,
        "cert_file": cert,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "signing_algorithm": ECDSA_SHA256 if ec_mode else RSA_SHA256,
        "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
        "metadata": {"local": [sp_metadata]} if sp_metadata else {},
        "delete_tmpfiles": True,
    })


class IdP:
    def __init__(self, base, d, sp_metadata_url, rogue_key, rogue_cert, slo_binding, ec_mode=False):
        self.base, self.dir, self.sp_metadata_url = base, d, sp_metadata_url
        self.ec_mode = ec_mode
        self.slo_binding = slo_binding
        self.key, self.cert = os.path.join(d, "idp.key"), os.path.join(d, "idp.crt")
        self.rogue = (rogue_key, rogue_cert)
        self.servers = None
        self.artifacts = {}
        self.last = {}
        self.logouts = []
        self.resolves = 0
        self.lock = threading.Lock()
        # The metadata odra loads: written before anything asks for it.
        from saml2.metadata import entity_descriptor
        ed = entity_descriptor(idp_config(base, self.key, self.cert, None, slo_binding=slo_binding, ec_mode=ec_mode))
        with open(os.path.join(d, "idp-metadata.xml"), "w", encoding="utf-8") as f:
            f.write(str(ed))

    def load(self):
        """The SP's metadata, fetched from the SP itself on first use, and the IdP variants."""
        with self.lock:
            if self.servers:
                return self.servers
            data = urllib.request.urlopen(self.sp_metadata_url, timeout=10).read()
            path = os.path.join(self.dir, "sp-metadata.xml")
            with open(path, "wb") as f:
                f.write(data)
            self.sp_cert_pem = None
            m = re.search(rb"<ds:X509Certificate>([^<]+)</ds:X509Certificate>", data)
            self.sp_cert = x509.load_der_x509_certificate(base64.b64decode(m.group(1)))
            ecm = self.ec_mode
            self.servers = {
                "normal": TestServer(config=idp_config(self.base, self.key, self.cert, path,
                                                       slo_binding=self.slo_binding, ec_mode=ecm)),
                "expired": TestServer(config=idp_config(self.base, self.key, self.cert, path, lifetime_minutes=-10,
                                                        ec_mode=ecm)),
            }
            if self.rogue[0]:
                self.servers["rogue"] = TestServer(config=idp_config(self.base, self.rogue[0], self.rogue[1], path,
                                                                     ec_mode=ecm))
            for srv in self.servers.values():
                srv.ec_mode = ecm
            return self.servers

    def verify_redirect_signature(self, raw_query):
        """The HTTP-Redirect binding's signature: over the query parameters as sent, in their fixed order."""
        parts = dict(p.split("=", 1) for p in raw_query.split("&") if "=" in p)
        if "Signature" not in parts or "SigAlg" not in parts:
            return "unsigned"
        signed = "&".join(f"{k}={parts[k]}" for k in ("SAMLRequest", "RelayState", "SigAlg") if k in parts)
        alg = urllib.parse.unquote_plus(parts["SigAlg"])
        sig = base64.b64decode(urllib.parse.unquote_plus(parts["Signature"]))
        try:
            if alg == ECDSA_SHA256:
                # XML-DSig's ecdsa-sha256 value: r || s, 32 bytes each (RFC 4051 §3.3); DER is refused.
                if len(sig) != 64:
                    return f"invalid (ECDSA signature of {len(sig)} bytes, not r || s)"
                der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
                self.sp_cert.public_key().verify(der, signed.encode(), ec.ECDSA(hashes.SHA256()))
                return "valid"
            self.sp_cert.public_key().verify(sig, signed.encode(), padding.PKCS1v15(), SIG_HASHES[alg]())
            return "valid"
        except Exception as ex:  # noqa: BLE001 - any failure is a bad signature
            return f"invalid ({type(ex).__name__})"


class Handler(BaseHTTPRequestHandler):
    idp = None

    def log_message(self, fmt, *args):  # quiet
        sys.stderr.write("idp: " + fmt % args + "\n")

    def send(self, status, body, ctype="text/plain; charset=utf-8", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        try:
            if url.path == "/sso":
                return self.sso(url.query, q)
            if url.path == "/slo":
                return self.slo_redirect(url.query, q)
            if url.path == "/_last":
                return self.send(200, json.dumps(self.idp.last), "application/json")
            if url.path == "/_stats":
                return self.send(200, json.dumps({"artifact_resolves": self.idp.resolves}), "application/json")
            if url.path == "/_logouts":
                return self.send(200, json.dumps(self.idp.logouts), "application/json")
        except Exception as ex:  # noqa: BLE001 - reported to the test as a 500 with the reason
            import traceback
            traceback.print_exc()
            return self.send(500, f"idp error: {ex!r}")
        self.send(404, "not found")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        try:
            if self.path == "/ars":
                return self.ars(body)
            if self.path == "/slo":
                return self.slo(body)
        except Exception as ex:  # noqa: BLE001
            import traceback
            traceback.print_exc()
            return self.send(500, f"idp error: {ex!r}")
        self.send(404, "not found")

    def sso(self, raw_query, q):
        idp = self.idp
        servers = idp.load()
        normal = servers["normal"]
        sig = idp.verify_redirect_signature(raw_query)
        req = normal.parse_authn_request(q["SAMLRequest"], BINDING_HTTP_REDIRECT).message
        rac = req.requested_authn_context
        idp.last = {
            "signature": sig, "id": req.id, "issuer": req.issuer.text, "protocol_binding": req.protocol_binding,
            "acs": req.assertion_consumer_service_url, "relay_state": q.get("RelayState"),
            "authn_context": [c.text for c in rac.authn_context_class_ref] if rac else [],
            "name_id_policy": req.name_id_policy.format if req.name_id_policy else None,
            "sp_type": re.findall(r"<[^/>]*SPType[^>]*>([^<]*)<", str(req)),
            "requested_attributes": re.findall(r"RequestedAttribute [^>]*Name=\"([^\"]+)\"", str(req)),
        }
        if sig != "valid":
            return self.send(403, f"AuthnRequest signature {sig}")
        modes = set(filter(None, q.get("mode", "").split(",")))
        srv = servers["rogue"] if "rogue" in modes else servers["expired"] if "expired" in modes else normal
        srv.mutate = None
        srv.hostile = modes
        if "tamper" in modes:
            srv.mutate = lambda xml: xml.replace("85031412345", "85031412346")
        sp_id = req.issuer.text
        # Another SP as the audience: the policy's Conditions name it, for this answer only.
        policy = srv.config.getattr("policy", "idp")
        policy.__dict__.pop("conditions", None)
        if "audience" in modes:
            cls_conditions = type(policy).conditions
            policy.conditions = lambda _sp: cls_conditions(policy, "https://other-service.example.pl/sp")
        sp_cert = base64.b64encode(idp.sp_cert.public_bytes(encoding=__import__(
            "cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.DER)).decode()
        person = q.get("person", "zofia")
        resp = srv.create_authn_response(
            PERSONS[person], in_response_to=req.id, destination=req.assertion_consumer_service_url, sp_entity_id=sp_id,
            name_id=NameID(format=NAMEID_FORMAT_UNSPECIFIED, text=person + "-" + hashlib.sha1(req.id.encode()).hexdigest()[:8]),
            authn={"class_ref": "http://eidas.europa.eu/LoA/substantial"},
            sign_assertion="unsigned" not in modes, sign_response=False,
            encrypt_assertion="plain" not in modes, encrypt_cert_assertion=sp_cert,
            encrypt_assertion_self_contained=True)
        xml = str(resp)
        binding = q.get("binding") or ("post" if req.protocol_binding == BINDING_HTTP_POST else "artifact")
        relay = q.get("RelayState", "")
        idp.last["answered_by"] = binding
        if binding == "post":
            page = http_form_post_message(xml, req.assertion_consumer_service_url, relay, typ="SAMLResponse")
            return self.send(200, page["data"], "text/html; charset=utf-8")
        # HTTP-Artifact: type 0x0004, endpoint index 0, SourceID = SHA-1 of the IdP's entityID, a random handle.
        art = base64.b64encode(b"\x00\x04\x00\x00" + hashlib.sha1(normal.config.entityid.encode()).digest()
                               + os.urandom(20)).decode()
        with idp.lock:
            idp.artifacts[art] = samlp.response_from_string(xml)
        loc = req.assertion_consumer_service_url + "?" + urllib.parse.urlencode({"SAMLart": art, "RelayState": relay})
        return self.send(302, "", headers=[("Location", loc)])

    def xmlsec_verify(self, body, element, name):
        """The SP's enveloped signature on `element` (a samlp element name) checked by the xmlsec1 program over
        the envelope as received, with the SP's certificate from its metadata only."""
        path = os.path.join(self.idp.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(body)
        sp_pem = os.path.join(self.idp.dir, "sp-cert.pem")
        if not os.path.exists(sp_pem):
            with open(sp_pem, "wb") as f:
                f.write(self.idp.sp_cert.public_bytes(Encoding.PEM))
        check = subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", sp_pem, "--id-attr:ID",
                                "urn:oasis:names:tc:SAML:2.0:protocol:" + element, path], capture_output=True)
        return check.returncode == 0 and re.search(r"<(\w+:)?Signature[ >]", body) is not None

    def ars(self, body):
        normal = self.idp.load()["normal"]
        if not self.xmlsec_verify(body, "ArtifactResolve", "last-resolve.xml"):
            return self.send(403, "ArtifactResolve signature invalid")
        self.idp.last["artifact_resolve_signature"] = "valid"
        req = normal.parse_artifact_resolve(body)
        art = req.artifact.text
        self.idp.resolves += 1
        with self.idp.lock:
            msg = self.idp.artifacts.pop(art, None)  # one use, as the spec requires
        if msg is None:
            return self.send(500, "unknown artifact")
        normal.artifact[art] = msg
        resp = normal.create_artifact_response(req, art, sign=False, issuer=normal._issuer())
        normal.artifact.pop(art, None)
        envelope = soap_envelope(normal.sign(resp))  # signed, as WK signs it
        with open(os.path.join(self.idp.dir, "last-ars.xml"), "w", encoding="utf-8") as f:
            f.write(envelope)
        return self.send(200, envelope, "text/xml; charset=utf-8")

    def slo_redirect(self, raw_query, q):
        """Single logout by HTTP-Redirect: the SP's signed LogoutRequest in, a signed LogoutResponse back to
        the SP's SingleLogoutService by redirect."""
        normal = self.idp.load()["normal"]
        sig = self.idp.verify_redirect_signature(raw_query)
        if sig != "valid":
            return self.send(403, f"LogoutRequest signature {sig}")
        msg = normal.parse_logout_request(q["SAMLRequest"], BINDING_HTTP_REDIRECT).message
        self.idp.logouts.append({"signature": sig, "name_id": msg.name_id.text if msg.name_id else None,
                                 "session_index": [s.text for s in msg.session_index], "issuer": msg.issuer.text,
                                 "binding": "redirect"})
        resp = normal.create_logout_response(msg, [BINDING_HTTP_REDIRECT], sign=False)
        dest = normal.metadata.single_logout_service(msg.issuer.text, BINDING_HTTP_REDIRECT, "spsso")[0]["location"]
        ecm = self.idp.ec_mode
        info = normal.apply_binding(BINDING_HTTP_REDIRECT, str(resp), dest, q.get("RelayState", ""), response=True,
                                    sign=not ecm, sigalg=RSA_SHA256)
        loc = dict(info["headers"])["Location"]
        if ecm:  # pysaml2 signs redirects with RSA only: ecdsa-sha256 here, r || s as XML-DSig has it
            from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
            from cryptography.hazmat.primitives.serialization import load_pem_private_key
            with open(self.idp.key, "rb") as f:
                key = load_pem_private_key(f.read(), None)
            loc += "&SigAlg=" + urllib.parse.quote_plus(ECDSA_SHA256)
            r, s = decode_dss_signature(key.sign(loc.split("?", 1)[1].encode(), ec.ECDSA(hashes.SHA256())))
            loc += "&Signature=" + urllib.parse.quote_plus(base64.b64encode(r.to_bytes(32, "big")
                                                                            + s.to_bytes(32, "big")).decode())
        if "bad_logout_signature" in q.get("mode", ""):
            loc = loc[:-6] + ("AAAAAA" if not loc.endswith("AAAAAA") else "BBBBBB")
        return self.send(302, "", headers=[("Location", loc)])

    def slo(self, body):
        normal = self.idp.load()["normal"]
        # The SP's signature is checked by the xmlsec1 program over the envelope as received: pysaml2's SOAP
        # unwrapping renames namespace prefixes, which exclusive c14n keeps, and so cannot verify it.
        if not self.xmlsec_verify(body, "LogoutRequest", "last-slo.xml"):
            return self.send(403, "LogoutRequest signature invalid")
        unsigned = re.sub(r"<(\w+:)?Signature[ >].*?</(\w+:)?Signature>", "", body, flags=re.S)
        req = normal.parse_logout_request(unsigned, BINDING_SOAP)
        msg = req.message
        self.idp.logouts.append({"signature": "valid", "name_id": msg.name_id.text if msg.name_id else None,
                                 "session_index": [s.text for s in msg.session_index],
                                 "issuer": msg.issuer.text})
        resp = normal.create_logout_response(msg, [BINDING_SOAP], sign=True)
        envelope = soap_envelope(str(resp))
        return self.send(200, envelope, "text/xml; charset=utf-8")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--sp-metadata-url", required=True)
    ap.add_argument("--rogue-key")
    ap.add_argument("--rogue-cert")
    ap.add_argument("--slo-binding", default="soap", choices=["soap", "redirect"])
    ap.add_argument("--ec", action="store_true", help="P-256 keys, ECDSA and ECDH-ES, as login.gov.pl")
    a = ap.parse_args()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = httpd.server_address[1]
    Handler.idp = IdP(f"http://127.0.0.1:{port}", a.dir, a.sp_metadata_url, a.rogue_key, a.rogue_cert,
                      BINDING_SOAP if a.slo_binding == "soap" else BINDING_HTTP_REDIRECT, a.ec)
    print(f"READY {port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
