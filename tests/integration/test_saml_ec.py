"""tests/integration/test_saml.py again, with P-256 keys for the SP and the IdP as login.gov.pl (Węzeł
Krajowy) uses them: the SP signs its AuthnRequest (ecdsa-sha256 over the redirect query), ArtifactResolve
and LogoutRequest (XML-DSig) with ECDSA, and the IdP signs with ECDSA and encrypts the assertion with
ECDH-ES, kw-aes256 and AES-256-GCM, which services/saml_ec.c checks and decrypts. Every test of the RSA run,
plus hostile encryptions."""
import os
import runpy

os.environ["ODRA_SAML_EC"] = "1"
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_saml.py"), run_name="__main__")
