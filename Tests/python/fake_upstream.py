"""A fake OpenAI-compatible upstream for engram-prompt, on 127.0.0.1 (port 0).

It records every request (method, path, lower-cased headers, JSON body) and answers as OpenAI
does: `/chat/completions` (JSON, or server-sent events ending in `data: [DONE]` with
`stream: true`; a tool call when the request has tools), `/responses` and `/completions`
(JSON or events) and `/models`. Every answer carries `x-request-id` and headers engram-prompt
must pass back (`openai-processing-ms`, `x-ratelimit-*`; `openai-organization` only when it
passes the client's key on) or hold back (`set-cookie`).

The learning loop's extraction call (one user message asking for "the durable facts", see
config/templates/extraction.mustache) is answered with a JSON array of fact strings: those of
`extraction_facts` whose trigger occurs in the extraction prompt.

Errors are chosen by the request's model: `fail-429`, `fail-401`, `fail-400`, `fail-500`
answer that status with an OpenAI error body (429 with `retry-after`). With `required_key`,
every call without `Authorization: Bearer <required_key>` is answered 401.
"""
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = "Refunds take five business days, as the memory says."
COMPLETION = " Hello from the fake."
MODELS = ["fake-gpt", "fake-gpt-mini"]
EXTRACTION_MARKER = "list the durable facts"
ERRORS = {
    429: ("Rate limit reached for fake-gpt: slow down", "requests", "rate_limit_exceeded"),
    401: ("Incorrect API key provided: sk-wr***", "invalid_request_error", "invalid_api_key"),
    400: ("Invalid value for 'temperature': expected at most 2", "invalid_request_error", "invalid_value"),
    500: ("The fake upstream had an internal error", "server_error", None),
}


class Recorded:
    """One request the fake received."""

    def __init__(self, method, path, headers, body):
        self.method, self.path, self.headers, self.body = method, path, headers, body

    @property
    def is_extraction(self):
        messages = (self.body or {}).get("messages") or []
        return (self.path.endswith("/chat/completions") and len(messages) == 1
                and EXTRACTION_MARKER in str(messages[0].get("content", "")))

    def __repr__(self):
        return f"Recorded({self.method} {self.path} {json.dumps(self.body)[:200]})"


class FakeUpstream:
    def __init__(self, required_key=None):
        self.required_key = required_key
        self.extraction_facts = {}  # trigger text -> facts answered when the prompt contains it
        self.requests = []
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)

    def seen(self, predicate=lambda r: True):
        with self.lock:
            return [r for r in self.requests if predicate(r)]

    def last(self, path_suffix, predicate=lambda r: True):
        """The latest request to a path ending in `path_suffix` (extraction calls left out)."""
        found = self.seen(lambda r: r.path.endswith(path_suffix) and not r.is_extraction and predicate(r))
        assert found, f"the upstream saw no request to {path_suffix}: {self.seen()}"
        return found[-1]

    def facts_for(self, prompt):
        return [fact for trigger, facts in self.extraction_facts.items() if trigger in prompt for fact in facts]


def _chat(body, request_id):
    message = {"role": "assistant", "content": ANSWER}
    finish = "stop"
    if body.get("tools"):
        name = body["tools"][0]["function"]["name"]
        message = {"role": "assistant", "content": None, "tool_calls": [{
            "id": "call_fake_1", "type": "function",
            "function": {"name": name, "arguments": json.dumps({"city": "Paris", "unit": "celsius"})}}]}
        finish = "tool_calls"
    return {"id": f"chatcmpl-{request_id}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake-gpt"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}}


def _chat_events(body, request_id):
    base = {"id": f"chatcmpl-{request_id}", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body.get("model", "fake-gpt")}
    words = ANSWER.split(" ")
    deltas = [{"role": "assistant", "content": ""}]
    deltas += [{"content": word if i == 0 else " " + word} for i, word in enumerate(words)]
    for delta in deltas:
        yield dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": None}])
    yield dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])


def _response(body, request_id):
    return {"id": f"resp_{request_id}", "object": "response", "created_at": int(time.time()), "status": "completed",
            "model": body.get("model", "fake-gpt"), "output": [{
                "type": "message", "id": f"msg_{request_id}", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": ANSWER, "annotations": []}]}],
            "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
            "usage": {"input_tokens": 12, "output_tokens": 9, "total_tokens": 21}}


def _response_events(body, request_id):
    done = _response(body, request_id)
    started = dict(done, status="in_progress", output=[])
    yield {"type": "response.created", "sequence_number": 0, "response": started}
    for i, word in enumerate(ANSWER.split(" ")):
        yield {"type": "response.output_text.delta", "sequence_number": i + 1, "item_id": f"msg_{request_id}",
               "output_index": 0, "content_index": 0, "delta": word if i == 0 else " " + word, "logprobs": []}
    yield {"type": "response.completed", "sequence_number": 99, "response": done}


def _completion(body, request_id):
    return {"id": f"cmpl-{request_id}", "object": "text_completion", "created": int(time.time()),
            "model": body.get("model", "fake-gpt"),
            "choices": [{"index": 0, "text": COMPLETION, "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}}


def _completion_events(body, request_id):
    for i, word in enumerate(COMPLETION.split(" ")):
        chunk = _completion(body, request_id)
        chunk["choices"][0].update(text=word if i == 0 else " " + word, finish_reason=None)
        del chunk["usage"]
        yield chunk


def _handler(fake):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            self.handle_call(None)

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            self.handle_call(json.loads(raw) if raw else None)

        def handle_call(self, body):
            entry = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            fake.record(entry)
            request_id = f"req_fake_{next(fake.ids)}"
            if fake.required_key and self.headers.get("authorization") != f"Bearer {fake.required_key}":
                return self.error(401, request_id)
            model = str((body or {}).get("model", ""))
            if model.startswith("fail-"):
                return self.error(int(model[5:]), request_id)
            path = self.path.split("?")[0]
            stream = bool((body or {}).get("stream"))
            if path.endswith("/models"):
                models = [{"id": m, "object": "model", "created": 1700000000, "owned_by": "fake"} for m in MODELS]
                self.send_json(200, {"object": "list", "data": models}, request_id)
            elif entry.is_extraction:
                answer = _chat({"model": model}, request_id)
                answer["choices"][0]["message"]["content"] = json.dumps(fake.facts_for(body["messages"][0]["content"]))
                self.send_json(200, answer, request_id)
            elif path.endswith("/chat/completions") and stream:
                self.events(_chat_events(body, request_id), request_id)
            elif path.endswith("/chat/completions"):
                self.send_json(200, _chat(body, request_id), request_id)
            elif path.endswith("/responses") and stream:
                self.events(_response_events(body, request_id), request_id, named=True)
            elif path.endswith("/responses"):
                self.send_json(200, _response(body, request_id), request_id)
            elif path.endswith("/completions") and stream:
                self.events(_completion_events(body, request_id), request_id)
            elif path.endswith("/completions"):
                self.send_json(200, _completion(body, request_id), request_id)
            else:
                self.error(404, request_id, message=f"no route {path}")

        def common_headers(self, request_id):
            self.send_header("x-request-id", request_id)
            self.send_header("openai-processing-ms", "42")
            self.send_header("openai-organization", "org-fake")
            self.send_header("x-ratelimit-remaining-requests", "99")
            self.send_header("set-cookie", "session=secret; Path=/")

        def send_json(self, status, document, request_id, extra=()):
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.common_headers(request_id)
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def error(self, status, request_id, message=None):
            text, kind, code = ERRORS.get(status, (message or "error", "invalid_request_error", None))
            extra = [("retry-after", "7")] if status == 429 else []
            document = {"error": {"message": text, "type": kind, "param": None, "code": code}}
            self.send_json(status, document, request_id, extra)

        def events(self, documents, request_id, named=False):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.common_headers(request_id)
            self.end_headers()
            for document in documents:
                event = f"event: {document['type']}\n" if named else ""
                self.chunk(f"{event}data: {json.dumps(document)}\n\n".encode())
            if not named:
                self.chunk(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def chunk(self, data):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    return Handler
