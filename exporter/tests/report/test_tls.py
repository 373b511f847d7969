"""HTTPS with a private CA (PRIMUS_LENS_CA_BUNDLE), against a real TLS server whose certificate a
throw-away CA signed (scripts/make-test-ca.sh, the openssl command): trusted through the bundle,
refused without it, never an exception; `check` says what to set."""

from __future__ import annotations

import io
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest

from primus_lens_wandb_exporter import cli, config
from primus_lens_wandb_exporter.report.transport import HttpTransport

MAKE_CA = Path(__file__).resolve().parents[3] / "scripts" / "make-test-ca.sh"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        answer = b'{"meta":{"code":2000,"message":"OK"},"data":{}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, str, str]]:
    """(base URL, our CA's PEM, another CA's PEM)."""
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run([str(MAKE_CA), str(folder), "lens"], check=True, timeout=60)
    subprocess.run([str(MAKE_CA), str(folder), "other"], check=True, timeout=60)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(folder / "lens.crt"), str(folder / "lens.key"))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield (
            "https://127.0.0.1:%d/api/v1" % httpd.server_address[1],
            str(folder / "lens-ca.crt"),
            str(folder / "other-ca.crt"),
        )
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_private_ca_given_by_the_bundle_is_trusted(tls_server: Tuple[str, str, str]) -> None:
    base, ca, _ = tls_server
    transport = HttpTransport(base, "", "ua", ca_bundle=ca)
    answers = [transport.post("/wandb/metrics", b"x", 5.0) for _ in range(2)]
    transport.close()
    assert [a.status for a in answers] == [200, 200]
    assert answers[1].reused_connection


def test_the_bundle_is_read_from_the_environment_when_not_given(
    tls_server: Tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, ca, _ = tls_server
    monkeypatch.setenv("PRIMUS_LENS_CA_BUNDLE", ca)
    assert HttpTransport(base, "", "ua").post("/wandb/metrics", b"x", 5.0).status == 200
    monkeypatch.delenv("PRIMUS_LENS_CA_BUNDLE")
    refused = HttpTransport(base, "", "ua").post("/wandb/metrics", b"x", 5.0)
    assert refused.status == 0 and "CERTIFICATE_VERIFY_FAILED" in refused.reason, refused


def test_another_ca_or_an_unreadable_bundle_is_refused_as_a_value(
    tls_server: Tuple[str, str, str], tmp_path: Path
) -> None:
    base, _, other = tls_server
    wrong = HttpTransport(base, "", "ua", ca_bundle=other).post("/wandb/metrics", b"x", 5.0)
    assert wrong.status == 0 and "CERTIFICATE_VERIFY_FAILED" in wrong.reason
    missing = str(tmp_path / "nope.pem")
    answer = HttpTransport(base, "", "ua", ca_bundle=missing).post("/wandb/metrics", b"x", 5.0)
    assert answer.status == 0 and answer.reason.startswith("SSLError: cannot load PRIMUS_LENS_CA_BUNDLE=%s" % missing)


def test_config_reads_the_bundle_and_warns_when_it_is_not_a_file(tmp_path: Path) -> None:
    pem = tmp_path / "ca.pem"
    pem.write_text("x")
    assert config.load({"PRIMUS_LENS_CA_BUNDLE": " %s " % pem}).ca_bundle == str(pem)
    assert config.load({}).ca_bundle == ""
    cfg = config.load({"PRIMUS_LENS_CA_BUNDLE": str(tmp_path / "missing.pem")})
    assert any("PRIMUS_LENS_CA_BUNDLE" in w and "is not a file" in w for w in cfg.warnings)


def test_check_succeeds_with_the_bundle_and_says_what_to_set_without_it(
    tls_server: Tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, ca, other = tls_server
    monkeypatch.setenv("PRIMUS_LENS_API_BASE_URL", base)
    results: List[Tuple[bool, str]] = []
    for bundle in (ca, "", other):
        monkeypatch.setenv("PRIMUS_LENS_CA_BUNDLE", bundle)
        results.append(cli.round_trip(config.load()))
    assert results[0][0] is True and "HTTP 200" in results[0][1]
    assert results[1][0] is False and "TLS certificate is not trusted" in results[1][1]
    assert "set PRIMUS_LENS_CA_BUNDLE to the PEM file" in results[1][1]
    assert results[2][0] is False and "PRIMUS_LENS_CA_BUNDLE=%s does not hold the CA" % other in results[2][1]
    out = io.StringIO()
    monkeypatch.setenv("PRIMUS_LENS_CA_BUNDLE", ca)
    monkeypatch.setenv("PRIMUS_LENS_WANDB_SENDER", "thread")
    assert cli.check(out) == 0, out.getvalue()
    assert "PRIMUS_LENS_CA_BUNDLE" in out.getvalue()
