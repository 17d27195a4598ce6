"""Throw-away certificate authorities (trustme) for TLS tests, and contexts made from them."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme


class TestCa:
    """A CA made for one test; its certificate is also a PEM file (what ``ami_tls_ca`` or a
    client's ``cafile`` names)."""

    __test__ = False  # a helper, not a test class

    def __init__(self, directory: Path, name: str = "ca") -> None:
        self.authority = trustme.CA()
        self.directory = directory
        self.name = name
        self.pem = directory / f"{name}.pem"
        self.authority.cert_pem.write_to_path(str(self.pem))

    def server_context(self, *hostnames: str) -> ssl.SSLContext:
        """A server context with a certificate for ``hostnames`` (default 127.0.0.1)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.authority.issue_cert(*(hostnames or ("127.0.0.1",))).configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA only."""
        return ssl.create_default_context(cafile=str(self.pem))

    def cert_files(self, *hostnames: str) -> tuple[Path, Path]:
        """A certificate (with its chain) and its private key for ``hostnames``, as PEM files."""
        issued = self.authority.issue_cert(*(hostnames or ("127.0.0.1",)))
        certificate = self.directory / f"{self.name}-server.pem"
        key = self.directory / f"{self.name}-server.key"
        certificate.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
        issued.private_key_pem.write_to_path(str(key))
        return certificate, key


@pytest.fixture
def test_ca(tmp_path: Path) -> TestCa:
    return TestCa(tmp_path)


@pytest.fixture
def other_ca(tmp_path: Path) -> TestCa:
    """A second CA, trusted by nobody."""
    return TestCa(tmp_path, "other-ca")
