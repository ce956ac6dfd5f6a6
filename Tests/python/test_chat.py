"""Chat completions through engram-prompt with the official SDK: the answer parsed, the memory
injected into what the upstream saw (the request's own messages untouched), streaming (sync and
async), tool calls, and fields engram-prompt does not know passed on exactly."""
import asyncio

from conftest import MEMORY, OPERATOR_KEY, sdk_client
from engram_processes import start_prompt
from fake_upstream import ANSWER

QUESTION = "How long do refunds take?"


def test_chat_answer_and_memory_injected(client, upstream, namespace):
    _, memory_id = namespace
    messages = [{"role": "user", "content": "Hi, I have a question."},
                {"role": "assistant", "content": "Sure, go ahead."},
                {"role": "user", "content": QUESTION}]
    completion = client.chat.completions.create(model="fake-gpt", messages=messages)

    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.total_tokens == 21
    sent = upstream.last("/chat/completions", lambda r: r.body["messages"][-1]["content"] == QUESTION)
    system, *rest = sent.body["messages"]
    assert system["role"] == "system"
    assert MEMORY in system["content"] and f"[#{memory_id}]" in system["content"]
    assert rest == messages
    assert sent.body["model"] == "fake-gpt"
    # The operator's key (upstream.api_key), not the client's.
    assert sent.headers["authorization"] == f"Bearer {OPERATOR_KEY}"


def test_chat_merges_into_the_clients_system_message(client, upstream):
    client.chat.completions.create(model="fake-gpt", messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION + " (merge)"}])
    sent = upstream.last("/chat/completions", lambda r: r.body["messages"][-1]["content"] == QUESTION + " (merge)")
    assert len(sent.body["messages"]) == 2
    assert sent.body["messages"][0]["content"].endswith(MEMORY + "\n\nBe brief.")


def test_chat_streamed(client, upstream):
    stream = client.chat.completions.create(model="fake-gpt", stream=True,
                                            messages=[{"role": "user", "content": QUESTION + " (stream)"}])
    chunks = list(stream)
    assert len(chunks) > 2
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == ANSWER
    assert chunks[-1].choices[0].finish_reason == "stop"
    sent = upstream.last("/chat/completions", lambda r: r.body["messages"][-1]["content"] == QUESTION + " (stream)")
    assert sent.body["stream"] is True and MEMORY in sent.body["messages"][0]["content"]


def test_chat_streamed_async(prompt, namespace, upstream):
    async def run():
        async with sdk_client(prompt.socket, namespace[0], asynchronous=True) as sdk:
            stream = await sdk.chat.completions.create(model="fake-gpt", stream=True,
                                                       messages=[{"role": "user", "content": QUESTION + " (async)"}])
            return [chunk.choices[0].delta.content or "" async for chunk in stream]

    assert "".join(asyncio.run(run())) == ANSWER
    sent = upstream.last("/chat/completions", lambda r: r.body["messages"][-1]["content"] == QUESTION + " (async)")
    assert MEMORY in sent.body["messages"][0]["content"]


def test_tool_call_parsed(client, upstream):
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
                       "required": ["city"]}}}]
    completion = client.chat.completions.create(model="fake-gpt", tools=tools, tool_choice="auto",
                                                messages=[{"role": "user", "content": "Weather in Paris?"}])
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.id == "call_fake_1" and call.function.name == "get_weather"
    assert call.function.arguments == '{"city": "Paris", "unit": "celsius"}'
    sent = upstream.last("/chat/completions", lambda r: r.body.get("tools"))
    assert sent.body["tools"] == tools and sent.body["tool_choice"] == "auto"


def test_unknown_fields_pass_through_untouched(client, upstream):
    response_format = {"type": "json_schema", "json_schema": {"name": "answer", "strict": True, "schema": {
        "type": "object", "properties": {"days": {"type": "integer"}}, "required": ["days"],
        "additionalProperties": False}}}
    extra = {"vendor_options": {"nested": [1, 2.5, None, True, {"deep": "ü → ✓"}], "empty": {}},
             "top_k": 40, "repetition_penalty": 1.1}
    client.chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": QUESTION + " (fields)"}],
        response_format=response_format, temperature=0.7, seed=123456789, max_completion_tokens=64,
        metadata={"ticket": "T-1"}, extra_body=extra)
    sent = upstream.last("/chat/completions", lambda r: r.body["messages"][-1]["content"] == QUESTION + " (fields)")
    assert sent.body["response_format"] == response_format
    for key, value in extra.items():
        assert sent.body[key] == value
    assert (sent.body["temperature"], sent.body["seed"], sent.body["max_completion_tokens"]) == (0.7, 123456789, 64)
    assert sent.body["metadata"] == {"ticket": "T-1"}


def test_min_score_keeps_unrelated_memories_out(client, namespace):
    # "parts probe" has a cosine similarity of about -0.09 to MEMORY under MiniLM: below the
    # default prompt.min_score, so nothing is injected; the related question gets it.
    raw = client.chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": "parts probe"}])
    assert raw.headers["x-engram-memories"] == ""
    raw = client.chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": QUESTION}])
    assert raw.headers["x-engram-memories"] == str(namespace[1])


def test_min_score_zero_uses_even_an_unrelated_memory(prompt_bin, daemon, upstream, work_dir, namespace):
    process = start_prompt(prompt_bin, daemon, upstream.base_url, work_dir, name="prompt-min-score-0",
                           UPSTREAM_API_KEY=OPERATOR_KEY, MIN_SCORE=0)
    try:
        with sdk_client(process.socket, namespace[0]) as sdk:
            raw = sdk.chat.completions.with_raw_response.create(
                model="fake-gpt", messages=[{"role": "user", "content": "parts probe"}])
            assert raw.headers["x-engram-memories"] == str(namespace[1])
    finally:
        assert process.stop() == 0, process.log_tail()
