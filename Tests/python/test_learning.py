"""The learning loop with pass-through credentials: engram-prompt has no upstream.api_key, so
each call (the chat and the extraction after it) carries the client's own key, and this
module's fake upstream answers 401 to any other. After a chat, a response or a stream, the fact
the fake extracts is polled for in engramd (a deadline, never a fixed sleep)."""
import openai
import pytest

from conftest import CLIENT_KEY, create_namespace, sdk_client
from engram_processes import start_prompt, wait_until
from fake_upstream import ANSWER, FakeUpstream


@pytest.fixture(scope="module")
def keyed_upstream():
    fake = FakeUpstream(required_key=CLIENT_KEY)
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def learning_prompt(prompt_bin, daemon, keyed_upstream, work_dir):
    process = start_prompt(prompt_bin, daemon, keyed_upstream.base_url, work_dir, name="learning-prompt",
                           LEARNING_ENABLED="true", UPSTREAM_API_KEY="")
    yield process
    assert process.stop() == 0, f"engram-prompt did not stop cleanly:\n{process.log_tail()}"


@pytest.fixture
def learner(learning_prompt, daemon):
    name, _ = create_namespace(daemon)
    with sdk_client(learning_prompt.socket, name) as sdk:
        yield sdk, name


def stored_fact(daemon, namespace, text):
    """Polls engramd until `namespace` holds an entry with `text`; returns it."""
    def find():
        status, document, _ = daemon.call("GET", f"/v1/namespaces/{namespace}/memories")
        assert status == 200, document
        return next((entry for entry in document["entries"] if entry["text"] == text), None)
    return wait_until(find, f"the learned fact {text!r} in {namespace}")


def extraction_call(upstream, trigger):
    found = [r for r in upstream.seen(lambda r: r.is_extraction) if trigger in r.body["messages"][0]["content"]]
    assert len(found) == 1, found
    return found[0]


def test_chat_fact_learned_with_the_clients_key(learner, daemon, keyed_upstream):
    sdk, namespace = learner
    fact = "The user's build server is called hornet-7."
    keyed_upstream.extraction_facts["hornet-7"] = [fact]
    raw = sdk.chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": "Our build server is called hornet-7."}])
    assert raw.parse().choices[0].message.content == ANSWER
    assert raw.headers["x-engram-learning"] == "queued"
    # The client's own key was used: the account's headers are the client's, passed back.
    assert raw.headers["openai-organization"] == "org-fake"

    entry = stored_fact(daemon, namespace, fact)
    assert entry["source"] == "extraction:fake-gpt"
    call = extraction_call(keyed_upstream, "hornet-7")
    assert call.headers["authorization"] == f"Bearer {CLIENT_KEY}"
    assert call.body["temperature"] == 0 and call.body["model"] == "fake-gpt" and call.body["stream"] is False
    assert "User: Our build server is called hornet-7." in call.body["messages"][0]["content"]
    assert f"Assistant: {ANSWER}" in call.body["messages"][0]["content"]
    chat = keyed_upstream.last("/chat/completions", lambda r: "hornet-7" in str(r.body["messages"]))
    assert chat.headers["authorization"] == f"Bearer {CLIENT_KEY}"


def test_streamed_chat_fact_learned_from_the_whole_stream(learner, daemon, keyed_upstream):
    sdk, namespace = learner
    fact = "The user's laptop runs Debian 13."
    keyed_upstream.extraction_facts["runs Debian 13"] = [fact]
    stream = sdk.chat.completions.create(model="fake-gpt", stream=True,
                                         messages=[{"role": "user", "content": "My laptop runs Debian 13."}])
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream) == ANSWER
    stored_fact(daemon, namespace, fact)
    call = extraction_call(keyed_upstream, "runs Debian 13")
    assert f"Assistant: {ANSWER}" in call.body["messages"][0]["content"]
    assert call.headers["authorization"] == f"Bearer {CLIENT_KEY}"


def test_response_fact_learned(learner, daemon, keyed_upstream):
    sdk, namespace = learner
    fact = "The user's favourite editor is Helix."
    keyed_upstream.extraction_facts["editor is Helix"] = [fact]
    raw = sdk.responses.with_raw_response.create(model="fake-gpt", input="My favourite editor is Helix.")
    assert raw.parse().output_text == ANSWER and raw.headers["x-engram-learning"] == "queued"
    assert stored_fact(daemon, namespace, fact)["source"] == "extraction:fake-gpt"
    assert extraction_call(keyed_upstream, "editor is Helix").headers["authorization"] == f"Bearer {CLIENT_KEY}"


def test_wrong_key_is_refused_and_nothing_learned(learning_prompt, daemon, keyed_upstream):
    namespace, _ = create_namespace(daemon)
    with sdk_client(learning_prompt.socket, namespace, api_key="sk-wrong") as sdk:
        with pytest.raises(openai.AuthenticationError) as raised:
            sdk.chat.completions.create(model="fake-gpt", messages=[{"role": "user", "content": "I use zsh."}])
    assert raised.value.response.headers["x-engram-learning"] == "skipped:upstream_status"
    refused = keyed_upstream.last("/chat/completions", lambda r: "zsh" in str(r.body))
    assert refused.headers["authorization"] == "Bearer sk-wrong"


def test_tool_call_has_no_text_to_learn(learner):
    sdk, _ = learner
    raw = sdk.chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}])
    assert raw.parse().choices[0].message.tool_calls[0].function.name == "get_weather"
    assert raw.headers["x-engram-learning"] == "skipped:no_answer_text"
