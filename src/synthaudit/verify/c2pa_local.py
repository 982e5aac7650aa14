"""A local certificate authority and an ES256 signer for C2PA (survey section 6.3), for tests and the demo.

c2pa-python refuses a self-signed CA certificate as a signer ("the certificate was self-signed"), so signing
offline needs a CA and a leaf it issues. These certificates are for trying the validation states out (valid, and
trusted when the CA is given as a trust anchor), never for real provenance.
"""
from __future__ import annotations

import datetime
from pathlib import Path


def _name(cn: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    org = "synthaudit (local, not for provenance)"
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])


def _key_usage(**on):
    from cryptography import x509

    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
             "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{n: on.get(n, False) for n in names})


def _pem(cert) -> str:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM).decode()


def make_local_ca(folder: Path, cn: str = "synthaudit local CA", self_signed_leaf: bool = False
                 ) -> tuple[str, str, str]:
    """A local CA and an ES256 (P-256) leaf it issues; returns (ca_pem, chain_pem = leaf + CA, leaf key PEM) and
    writes them to ``folder``. ``self_signed_leaf`` makes the leaf a self-signed CA:TRUE certificate, as
    ``openssl req -x509`` makes by default, which c2pa refuses ("the certificate was self-signed"). (A self-signed
    CA:FALSE end-entity certificate is accepted by c2pa-python 0.38.1 and reads Valid, untrusted.)"""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn)).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    issuer, signing_key = (_name("synthaudit signer"), leaf_key) if self_signed_leaf else (_name(cn), ca_key)
    leaf = (x509.CertificateBuilder().subject_name(_name("synthaudit signer")).issuer_name(issuer)
            .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=self_signed_leaf, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                           critical=False)
            .sign(signing_key, hashes.SHA256()))
    ca_pem = _pem(ca)
    chain_pem = _pem(leaf) if self_signed_leaf else _pem(leaf) + ca_pem
    key_pem = leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
    folder = Path(folder)
    for name, text in (("ca.pem", ca_pem), ("chain.pem", chain_pem), ("leaf.key", key_pem)):
        (folder / name).write_text(text)
    return ca_pem, chain_pem, key_pem
