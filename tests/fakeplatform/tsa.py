"""A real RFC 3161 Time-Stamp Authority for the tests: `openssl ts -reply` behind the fake
platform, with its own CA made here.

    tsa = FakeTsa(workdir, "tsa.timestamps.example")
    fake_platform.services[tsa.host] = tsa
    settings = replace(settings, tsas=(tsa.config("fake-tsa"),))

``tsa.roots_path`` is the PEM of its root, what a user configures as the TSA's trust
roots. Knobs: ``latency`` (seconds the whole answer takes, at least), ``mode``
(``"normal"``, ``"other_hash"``: sign a different imprint than asked, ``"error"``: answer
HTTP 500) and ``expired`` (a signing certificate that expired before it signs). A hang is
the world's fault ``"hang"`` for the TSA's host, as for any host.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from archiver.config import Tsa

from .handlers import Response


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "archiver tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class TsaRoot:
    """A root CA for test TSAs (one can certify several signing certificates)."""

    def __init__(self, cn: str = "archiver test TSA root") -> None:
        now = dt.datetime.now(dt.timezone.utc)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = (
            x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=30)).not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    def signing_cert(
        self, cn: str, not_before: dt.datetime, not_after: dt.datetime
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(self.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                         content_commitment=True, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return key, cert


class FakeTsa:
    """A TSA answering ``POST /`` with ``application/timestamp-query`` bodies via `openssl ts -reply`."""

    def __init__(
        self,
        directory: Path | None = None,
        host: str = "tsa.timestamps.example",
        *,
        root: TsaRoot | None = None,
        expired: bool = False,
        valid_for: dt.timedelta = dt.timedelta(days=90),
    ) -> None:
        self.host = host
        self.url = f"http://{host}/"
        self.directory = Path(directory or tempfile.mkdtemp(prefix="fake-tsa-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.root = root or TsaRoot()
        now = dt.datetime.now(dt.timezone.utc)
        if expired:
            not_before, not_after = now - dt.timedelta(days=10), now - dt.timedelta(days=1)
        else:
            not_before, not_after = now - dt.timedelta(days=1), now + valid_for
        key, self.cert = self.root.signing_cert(f"{host} signer", not_before, not_after)
        d = self.directory
        (d / "signer.pem").write_bytes(_pem(self.cert))
        (d / "signer.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
        self.roots_path = d / "roots.pem"
        self.roots_path.write_bytes(_pem(self.root.cert))
        (d / "serial").write_text("01\n")
        # Only the signing certificate goes in the token: rfc3161-client wants the token's
        # certificate SET in DER order, which openssl does not sort.
        (d / "tsa.cnf").write_text(
            "[ tsa ]\ndefault_tsa = fake\n[ fake ]\n"
            f"serial = {d}/serial\ncrypto_device = builtin\nsigner_cert = {d}/signer.pem\n"
            f"signer_key = {d}/signer.key\nsigner_digest = sha256\ndefault_policy = 1.3.6.1.4.1.99999.1\n"
            "digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = yes\ntsa_name = yes\n"
            "ess_cert_id_chain = no\ness_cert_id_alg = sha256\n"
        )
        self.latency = 0.0
        self.mode = "normal"
        self.answered = 0
        self._lock = threading.Lock()  # openssl's serial file is read and written per reply

    def config(self, name: str = "fake-tsa") -> Tsa:
        """What a user configures for this TSA."""
        return Tsa(name, self.url, str(self.roots_path))

    def reply(self, query: bytes) -> bytes:
        """`openssl ts -reply` to a DER query."""
        with self._lock, tempfile.TemporaryDirectory(dir=self.directory) as work:
            q, r = Path(work) / "q.tsq", Path(work) / "r.tsr"
            q.write_bytes(query)
            subprocess.run(
                ["openssl", "ts", "-reply", "-config", str(self.directory / "tsa.cnf"), "-queryfile", str(q),
                 "-out", str(r)],
                check=True, capture_output=True,
            )
            return r.read_bytes()

    def __call__(self, method: str, path_qs: str, headers: dict[str, str], body: bytes) -> Response:
        started = time.monotonic()
        if method != "POST" or not body:
            return Response(405, {"Content-Type": "text/plain"}, b"POST a timestamp query\n")
        if self.mode == "error":
            return Response(500, {"Content-Type": "text/plain"}, b"TSA out of order\n")
        if self.mode == "other_hash":
            body = other_imprint(body)
        answer = self.reply(body)
        self.answered += 1
        time.sleep(max(0.0, self.latency - (time.monotonic() - started)))
        return Response(200, {"Content-Type": "application/timestamp-reply"}, answer)


def other_imprint(query: bytes) -> bytes:
    """The same DER query asking for SHA-256 of b"another hash" instead (same length)."""
    at = query.find(b"\x04\x20")
    assert at > 0, "no SHA-256 imprint in the query"
    return query[: at + 2] + hashlib.sha256(b"another hash").digest() + query[at + 34:]
