"""A fake OpenAI-compatible server on 127.0.0.1 for tests and benchmarks.

The real `openai` client talks to it over real HTTP, so retries, timeouts, headers and concurrency
are exercised for real. Each test scripts it: queue replies (JSON answers, delays, status codes with
Retry-After, malformed or truncated bodies, refusals, `finish_reason: length`, servers that reject
json_schema); when the queue is empty it answers with a valid object built from the request's schema.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from enrich.testing.ratelimits import RateLimits

from enrich.testing.fakebatch import FakeBatchAPI


@dataclass
class Reply:
    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"
    trickle: float = 0.0  # seconds between the body's bytes: a server that never quite stalls
    cut_after: int | None = None  # send only this many bytes of the body, then close the connection


def completion(
    content: str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    choices: bool = True,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}] if choices else [],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def answer(obj: Any, **kwargs: Any) -> Reply:
    """A 200 whose message content is `obj` as JSON (or a raw string)."""
    content = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
    return Reply(body=json.dumps(completion(content, **kwargs)).encode())


def raw_message(message: Any) -> Reply:
    """A 200 whose `message` is exactly `message` (None, a list for content...): the odd shapes servers send."""
    body = completion("x")
    body["choices"][0]["message"] = message
    return Reply(body=json.dumps(body).encode())


def error(
    status: int,
    message: str = "error",
    *,
    code: str | None = None,
    type_: str = "error",
    headers: dict[str, str] | None = None,
    param: str | None = None,
) -> Reply:
    body = {"error": {"message": message, "type": type_, "code": code, "param": param}}
    return Reply(status=status, body=json.dumps(body).encode(), headers=headers or {})


def value_for(name: str, schema: dict[str, Any], transcript: str) -> Any:
    """A value that satisfies the default profile for one field."""
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "array":
        item = schema.get("items", {})
        if item.get("type") == "object":
            return []  # no entities: always grounded
        if name == "tags":
            return ["alpha-topic", "beta-topic", "gamma-topic"]
        if name == "points":
            return ["第一部分的要点。"]
        return []
    if kind == "boolean":
        return True
    if name == "title":
        return "测试标题：一次关于转录稿的讨论"
    if name == "summary":
        return "这是一段测试摘要，用来说明这篇文章讨论了什么内容，以及为什么这些内容值得读者关注和思考。" * 2
    if name == "speaker":
        return "Fake Speaker"
    return "text"


def valid_answer(request: dict[str, Any]) -> dict[str, Any]:
    """Build a valid object from the request's json_schema, or from the schema quoted in the prompt."""
    schema = None
    fmt = request.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        schema = fmt["json_schema"]["schema"]
    else:
        text = request["messages"][0]["content"]
        match = re.search(r"JSON Schema:\n(\{.*\})\s*$", text, re.S)
        if match:
            schema = json.loads(match.group(1))
    if schema is None:
        return {}
    transcript = request["messages"][-1]["content"]
    return {name: value_for(name, sub, transcript) for name, sub in schema.get("properties", {}).items()}


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of 16 new connections overflows it and the
    # kernel makes the extra clients retry their SYN a second later. Real servers listen with
    # hundreds (uvicorn 2048, nginx 511), so the fake one must not add that stall.
    request_queue_size = 128


class FakeLLM:
    """Start with `with FakeLLM() as llm:`; point the client at `llm.base_url`."""

    def __init__(self, *, latency: float = 0.0, count_tokens: bool = False, limits: RateLimits | None = None) -> None:
        self.latency = latency
        self.limits = limits  # requests and tokens buckets on chat completions (enrich.testing.ratelimits)
        self.count_tokens = count_tokens
        self.queue: list[Reply | Callable[[dict[str, Any]], Reply]] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []  # request paths with their query strings
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self.reject_json_schema = False
        self.reject_json_object = False
        self.reject_schema_keywords: set[str] = set()  # a strict mode that rejects these keywords (OpenAI: maxLength)
        self.name_rejected_keyword = True  # say which keyword, as OpenAI does; False: only "Invalid schema"
        self._lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.batch = FakeBatchAPI(lambda body: json.loads(answer(valid_answer(body)).body or b"{}"))  # /v1/files, /v1/batches
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms delayed-ACK stalls

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if not self._batch_api(b""):
                    self.send_error(404)

            def _batch_api(self, raw: bytes) -> bool:
                handled = server.batch.handle(self.command, self.path, dict(self.headers), raw)
                if handled is not None:
                    status, body, kind = handled
                    self.send_response(status)
                    self.send_header("content-type", kind)
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                return handled is not None

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                if self._batch_api(raw):
                    return
                try:
                    request = json.loads(raw)
                except ValueError:
                    request = {}
                with server._lock:
                    server.paths.append(self.path)
                reply = server._limited(request, dict(self.headers))
                with server._lock:
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                try:
                    if reply.delay or server.latency:
                        time.sleep(reply.delay or server.latency)
                finally:
                    with server._lock:
                        server.active -= 1
                body = reply.body or b""
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", reply.content_type)
                    self.send_header("content-length", str(len(body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if reply.cut_after is not None:
                        self.wfile.write(body[: reply.cut_after])
                        self.wfile.flush()
                        self.close_connection = True
                    elif reply.trickle:
                        for i in range(len(body)):
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(reply.trickle)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def push(self, *replies: Reply | Callable[[dict[str, Any]], Reply]) -> None:
        with self._lock:
            self.queue.extend(replies)

    def _limited(self, request: dict[str, Any], headers: dict[str, str]) -> Reply:
        """The rate-limits hook: a 429 when a bucket is short, else the next reply with the limit headers."""
        if self.limits is None or not self.path_is_chat(request):
            return self._next(request, headers)
        refusal, limit_headers = self.limits.charge(request)
        if refusal is not None:
            with self._lock:
                self.requests.append(request)
                self.headers.append({k.lower(): v for k, v in headers.items()})
            return refusal
        reply = self._next(request, headers)
        return Reply(reply.status, reply.body, {**limit_headers, **reply.headers}, reply.delay, reply.content_type)

    def _rejected_keyword(self, schema: Any) -> str | None:
        """The first keyword of `schema` (at any depth) this server's strict mode rejects."""
        if isinstance(schema, dict):
            for key, value in schema.items():
                if key in self.reject_schema_keywords and key != "properties":
                    return str(key)
                subs = value.values() if key == "properties" and isinstance(value, dict) else [value]
                for sub in subs:
                    found = self._rejected_keyword(sub)
                    if found:
                        return found
        elif isinstance(schema, list):
            for sub in schema:
                found = self._rejected_keyword(sub)
                if found:
                    return found
        return None

    @staticmethod
    def path_is_chat(request: dict[str, Any]) -> bool:
        return "messages" in request

    def _next(self, request: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.headers.append({k.lower(): v for k, v in headers.items()})
            scripted = self.queue.pop(0) if self.queue else None
        fmt = (request.get("response_format") or {}).get("type")
        if self.reject_json_schema and fmt == "json_schema":
            return error(400, "response_format json_schema is not supported by this server", param="response_format")
        if fmt == "json_schema" and self.reject_schema_keywords:
            rejected = self._rejected_keyword(request["response_format"]["json_schema"]["schema"])
            if rejected:
                said = f"'{rejected}' is not permitted." if self.name_rejected_keyword else "unsupported keyword."
                return error(400, f"Invalid schema for response_format 'answer': {said}", param="response_format")
        if self.reject_json_object and fmt == "json_object":
            return error(400, "response_format json_object is not supported", param="response_format")
        if scripted is not None:
            return scripted(request) if callable(scripted) else scripted
        if self.responder is not None:
            return self.responder(request)
        usage = {}
        if self.count_tokens:
            from enrich.tokens import count_tokens

            sent = [m.get("content") or "" for m in request.get("messages", [])]
            fmt = request.get("response_format") or {}
            if fmt.get("type") == "json_schema":
                sent.append(json.dumps(fmt["json_schema"]["schema"], ensure_ascii=False))
            usage["prompt_tokens"] = sum(count_tokens(part) for part in sent) + 4 * len(sent)
        return answer(valid_answer(request), **usage)

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
