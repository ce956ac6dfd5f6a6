"""The Responses API (plain and streamed) and the legacy completions API through engram-prompt:
the SDK's parsed answer, the memory put before the request's `instructions`, and the legacy
request (plain or streamed) passed on unchanged."""
from conftest import MEMORY
from fake_upstream import ANSWER, COMPLETION


def test_responses_create(client, upstream, namespace):
    _, memory_id = namespace
    response = client.responses.create(model="fake-gpt", input="How long do refunds take? (responses)",
                                       instructions="Answer in one sentence.", temperature=0.2)
    assert response.output_text == ANSWER
    assert response.status == "completed"
    sent = upstream.last("/responses", lambda r: "(responses)" in str(r.body.get("input")))
    assert sent.body["input"] == "How long do refunds take? (responses)"
    assert sent.body["temperature"] == 0.2
    instructions = sent.body["instructions"]
    assert MEMORY in instructions and f"[#{memory_id}]" in instructions
    assert instructions.endswith("\n\nAnswer in one sentence.")


def test_responses_item_input_streamed(client, upstream):
    items = [{"role": "user", "content": [{"type": "input_text", "text": "How long do refunds take? (items)"}]}]
    events = list(client.responses.create(model="fake-gpt", input=items, stream=True))
    types = [event.type for event in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == ANSWER
    assert events[-1].response.output_text == ANSWER
    sent = upstream.last("/responses", lambda r: "(items)" in str(r.body.get("input")))
    assert sent.body["input"] == items and sent.body["stream"] is True
    assert MEMORY in sent.body["instructions"]


def test_legacy_completions_pass_through(client, upstream):
    completion = client.completions.create(model="fake-gpt", prompt="Say hello (legacy)", max_tokens=7,
                                           extra_body={"echo_extra": [1, {"a": None}]})
    assert completion.choices[0].text == COMPLETION
    assert completion.usage.completion_tokens == 5
    sent = upstream.last("/completions", lambda r: r.body.get("prompt") == "Say hello (legacy)")
    assert sent.path.endswith("/v1/completions") and not sent.path.endswith("/chat/completions")
    assert sent.body == {"model": "fake-gpt", "prompt": "Say hello (legacy)", "max_tokens": 7,
                         "echo_extra": [1, {"a": None}]}


def test_legacy_completions_streamed(client, upstream):
    chunks = list(client.completions.create(model="fake-gpt", prompt="Say hello (legacy stream)", stream=True))
    assert len(chunks) > 1 and "".join(chunk.choices[0].text for chunk in chunks) == COMPLETION
    sent = upstream.last("/completions", lambda r: r.body.get("prompt") == "Say hello (legacy stream)")
    assert sent.body["stream"] is True
