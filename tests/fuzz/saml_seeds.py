#!/usr/bin/env python3
"""Writes the seeds of tests/fuzz/fuzz_saml.c into tests/fuzz/saml/: IdP answers as login.gov.pl sends them,
made with the fixed test keys in tests/fuzz/saml-keys/ (P-256, for fuzzing only): a Response with an
assertion signed by the xmlsec1 program (ecdsa-sha256) and encrypted by tests/saml/idp.py's ec_encrypt
(ECDH-ES, ConcatKDF, kw-aes256, AES-256-GCM), the same in a signed ArtifactResponse envelope, an unencrypted
one, a signature-wrapping attempt inside the encryption, and a signed LogoutResponse. Run by hand after changing the keys: /usr/bin/python3 tests/fuzz/saml_seeds.py"""
import base64
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "saml"))
from cryptography import x509  # noqa: E402
import idp  # noqa: E402

KEYS = os.path.join(HERE, "saml-keys")
OUT = os.path.join(HERE, "saml")
IDP, SP = "https://idp.example/idp", "https://odra.test/saml/sp"
SIG = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
       '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
       '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>'
       '<ds:Reference URI="#{id}"><ds:Transforms>'
       '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
       '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
       '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>'
       '</ds:SignedInfo><ds:SignatureValue/></ds:Signature>')
ISSUER = f'<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">{IDP}</saml:Issuer>'


def sign(xml, element):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml)
    try:
        return subprocess.run(["xmlsec1", "--sign", "--privkey-pem", os.path.join(KEYS, "idp.key"), "--id-attr:ID",
                               element, f.name], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)


def body(xml):
    return xml.split("?>", 1)[1].strip() if xml.startswith("<?xml") else xml


def main():
    assertion = sign(
        '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a1" Version="2.0" '
        f'IssueInstant="2026-12-04T10:00:00Z"><saml:Issuer>{IDP}</saml:Issuer>' + SIG.format(id="a1")
        + '<saml:Subject><saml:NameID>zofia</saml:NameID><saml:SubjectConfirmation '
        'Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="r1" '
        'NotOnOrAfter="2026-12-04T10:05:00Z" Recipient="http://127.0.0.1/auth/saml/acs"/></saml:SubjectConfirmation>'
        '</saml:Subject><saml:Conditions NotBefore="2026-12-04T09:59:00Z" NotOnOrAfter="2026-12-04T10:05:00Z">'
        f'<saml:AudienceRestriction><saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction></saml:Conditions>'
        '<saml:AttributeStatement><saml:Attribute Name="http://eidas.europa.eu/attributes/naturalperson/'
        'PersonIdentifier"><saml:AttributeValue>85031412345</saml:AttributeValue></saml:Attribute>'
        '</saml:AttributeStatement></saml:Assertion>', "urn:oasis:names:tc:SAML:2.0:assertion:Assertion")
    head = ('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="{id}" Version="2.0" '
            'IssueInstant="2026-12-04T10:00:00Z" InResponseTo="r1">' + ISSUER
            + '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>')
    with open(os.path.join(KEYS, "sp.crt"), "rb") as f:
        sp_cert = x509.load_pem_x509_certificate(f.read())
    plain = head.format(id="p1") + "<saml:EncryptedAssertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">" \
        + body(assertion) + "</saml:EncryptedAssertion></samlp:Response>"
    response = idp.ec_encrypt(plain, sp_cert, IDP, SP)
    seeds = {"response.xml": response, "unencrypted.xml": head.format(id="p2") + body(assertion) + "</samlp:Response>"}
    # Signature wrapping: an assertion of the attacker's (another PESEL, ID "evil") carrying the IdP's
    # signature, with the signed original hidden in its Advice; encrypted as the IdP would.
    orig = body(assertion)
    evil = orig.replace('ID="a1"', 'ID="evil"', 1).replace("85031412345", "85031412346")
    evil = evil.replace("</saml:Assertion>", "<saml:Advice>" + orig + "</saml:Advice></saml:Assertion>")
    seeds["wrapped-assertion.xml"] = idp.ec_encrypt(
        head.format(id="p3") + '<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">' + evil
        + "</saml:EncryptedAssertion></samlp:Response>", sp_cert, IDP, SP)
    art = sign('<samlp:ArtifactResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="ar1" Version="2.0" '
               'IssueInstant="2026-12-04T10:00:00Z" InResponseTo="q1">' + ISSUER + SIG.format(id="ar1")
               + '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
               + response + '</samlp:ArtifactResponse>', "urn:oasis:names:tc:SAML:2.0:protocol:ArtifactResponse")
    soap = '<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body>{}' \
           '</soap-env:Body></soap-env:Envelope>'
    seeds["artifact-response.xml"] = soap.format(body(art))
    lo = sign('<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="l1" Version="2.0" '
              'IssueInstant="2026-12-04T10:00:00Z" InResponseTo="q2">' + ISSUER + SIG.format(id="l1")
              + '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
              '</samlp:LogoutResponse>', "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse")
    seeds["logout-response.xml"] = soap.format(body(lo))
    os.makedirs(OUT, exist_ok=True)
    for name, xml in seeds.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            f.write(xml)
    with open(os.path.join(KEYS, "idp.crt")) as f:
        der = "".join(line for line in f.read().splitlines() if "-----" not in line)
    with open(os.path.join(KEYS, "idp-metadata.xml"), "w", encoding="utf-8") as f:
        f.write(f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{IDP}">'
                '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
                '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
                f'<ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
                '</md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>\n')


if __name__ == "__main__":
    main()
