"""Errors as the SDK raises them: the upstream's (429, 401, 400, 500: status, body and headers
passed on, streamed or not) and engram-prompt's own (an unknown or invalid namespace, a request
it refuses); and, through `with_raw_response`, the upstream headers passed back (x-request-id,
openai-processing-ms, x-ratelimit-*) beside engram's own (x-engram-memories*, x-engram-learning),
and the ones held back (set-cookie; openai-organization, which is the operator's)."""
import openai
import pytest

from conftest import sdk_client
from fake_upstream import ERRORS

UPSTREAM_ERRORS = [(429, openai.RateLimitError), (401, openai.AuthenticationError),
                   (400, openai.BadRequestError), (500, openai.InternalServerError)]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("status,exception", UPSTREAM_ERRORS, ids=[str(s) for s, _ in UPSTREAM_ERRORS])
def test_upstream_error_raises_the_sdks_exception(client, status, exception, stream):
    with pytest.raises(exception) as raised:
        client.chat.completions.create(model=f"fail-{status}", stream=stream,
                                       messages=[{"role": "user", "content": "How long do refunds take?"}])
    error = raised.value
    message, kind, code = ERRORS[status]
    assert error.status_code == status
    assert error.body["message"] == message and error.type == kind and error.code == code
    assert message in str(error)
    assert error.request_id and error.request_id.startswith("req_fake_")
    if status == 429:
        assert error.response.headers["retry-after"] == "7"


def test_responses_error_raises_too(client):
    with pytest.raises(openai.RateLimitError) as raised:
        client.responses.create(model="fail-429", input="hello")
    assert raised.value.code == "rate_limit_exceeded"


def test_unknown_namespace_is_not_found(client, upstream):
    calls = len(upstream.seen())
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="fake-gpt", messages=[{"role": "user", "content": "hi"}],
                                       extra_headers={"X-Engram-Namespace": "no-such-namespace"})
    assert raised.value.status_code == 404 and raised.value.code == "namespace_not_found"
    assert "no-such-namespace" in raised.value.body["message"]
    assert len(upstream.seen()) == calls, "a refused request must not reach the upstream"


@pytest.mark.parametrize("call,field", [
    (lambda c: c.chat.completions.create(model="fake-gpt", messages=[{"role": "user", "content": "hi"}],
                                         extra_headers={"X-Engram-Namespace": "not a name!"}), "X-Engram-Namespace"),
    (lambda c: c.chat.completions.create(model="fake-gpt", messages=[]), "messages"),
    (lambda c: c.embeddings.create(model="any", input="x", dimensions=7), "dimensions"),
], ids=["namespace-name", "no-messages", "embedding-dimensions"])
def test_request_engram_prompt_refuses_is_a_bad_request(client, call, field):
    with pytest.raises(openai.BadRequestError) as raised:
        call(client)
    assert raised.value.code == "invalid_field" and field in raised.value.body["message"]


def test_engram_prompt_down_is_a_connection_error(work_dir):
    with sdk_client(f"{work_dir}/nobody-listens.sock") as sdk, pytest.raises(openai.APIConnectionError):
        sdk.models.list()


def test_raw_response_headers(client, upstream, namespace):
    _, memory_id = namespace
    raw = client.chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": "How long do refunds take? (raw)"}])
    completion = raw.parse()
    assert completion.choices[0].message.content
    request_id = raw.headers["x-request-id"]
    assert request_id.startswith("req_fake_") and completion._request_id == request_id
    assert raw.headers["openai-processing-ms"] == "42" and raw.headers["x-ratelimit-remaining-requests"] == "99"
    assert raw.headers["x-engram-memories"] == str(memory_id)
    assert raw.headers["x-engram-memories-status"] == "ok"
    assert raw.headers["x-engram-learning"] == "off"
    assert "set-cookie" not in raw.headers
    assert "openai-organization" not in raw.headers  # engram-prompt calls with the operator's key


def test_raw_response_headers_of_a_stream(client):
    raw = client.chat.completions.with_raw_response.create(
        model="fake-gpt", stream=True, messages=[{"role": "user", "content": "How long do refunds take? (raw stream)"}])
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert raw.headers["x-request-id"].startswith("req_fake_")
    assert raw.headers["x-engram-memories-status"] == "ok" and raw.headers["x-engram-memories"]
    assert "".join(chunk.choices[0].delta.content or "" for chunk in raw.parse())
