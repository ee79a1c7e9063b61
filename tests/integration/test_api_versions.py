"""ApiVersions as clients meet it first: every version we serve, the KIP-511 fallback for versions we do
not serve, and the v0 response header that clients parse before they know our versions."""
import pathlib
import re

import pytest

from kafka_wire import Connection, api_versions_request, parse_api_versions_response

API_VERSIONS, METADATA, DESCRIBE_CLUSTER = 18, 3, 60
COMPATIBILITY = pathlib.Path(__file__).resolve().parents[2] / "docs" / "compatibility.md"


def documented_apis():
    """The API table of docs/compatibility.md: {key: (advertised min, max)}. The document is the promise;
    this test holds the broker to it (and the document to the broker)."""
    apis = {}
    for line in COMPATIBILITY.read_text().splitlines():
        m = re.match(r"\|\s*[A-Za-z]+ \((\d+)\)\s*\|\s*(\d+)(?:-(\d+))?", line)
        if m:
            lo = int(m.group(2))
            apis[int(m.group(1))] = (lo, int(m.group(3)) if m.group(3) else lo)
    assert apis, "no API rows found in docs/compatibility.md"
    return apis


@pytest.mark.parametrize("version", [0, 1, 2, 3, 4])
def test_every_served_version_lists_the_served_apis(broker, version):
    c = Connection(broker.host, broker.port)
    c.send(api_versions_request(version, correlation_id=7 + version))
    cid, error, apis = parse_api_versions_response(c.recv_frame(), version)
    assert cid == 7 + version
    assert error == 0
    # Exactly what docs/compatibility.md lists: nothing unbuilt is advertised, nothing built is unlisted.
    assert apis == documented_apis()


@pytest.mark.parametrize("version", [5, 99])
def test_an_unserved_version_gets_a_v0_unsupported_version_answer_with_the_list(broker, version):
    c = Connection(broker.host, broker.port)
    c.send(api_versions_request(version, correlation_id=42))
    cid, error, apis = parse_api_versions_response(c.recv_frame(), 0)
    assert cid == 42
    assert error == 35  # UNSUPPORTED_VERSION
    assert apis[API_VERSIONS] == (0, 4)
    # The connection stays usable: the client retries with a version we serve.
    c.send(api_versions_request(3, correlation_id=43))
    cid, error, _ = parse_api_versions_response(c.recv_frame(), 3)
    assert (cid, error) == (43, 0)


def test_invalid_client_software_name_is_invalid_request(broker):
    c = Connection(broker.host, broker.port)
    c.send(api_versions_request(3, correlation_id=1, software=("-bad name", "1.0")))
    _, error, apis = parse_api_versions_response(c.recv_frame(), 3)
    assert error == 42  # INVALID_REQUEST
    assert apis == {}
