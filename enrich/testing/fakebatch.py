"""The fake server's Batch API: `/v1/files` and `/v1/batches`, as OpenAI documents them.

Files: multipart upload (`purpose=batch`), list, retrieve, `GET /v1/files/{id}/content`. Batches:
create, retrieve, cancel, list (newest first, `after` / `limit`). A batch moves validating ->
in_progress -> finalizing -> completed as time passes (`phase_seconds` per phase), unless the test
scripts otherwise: `outcome = "failed"` (line errors in `errors.data`, no output), `"expired"` (only
the first `expire_after` lines answered, the rest in the error file as `batch_expired`), `hold = True`
(stays in progress until released). `fail_lines` lines are answered 400 and land in the error file. When
every line failed, `output_file_id` is null. Output lines come in shuffled order.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

JsonAnswer = Callable[[dict[str, Any]], dict[str, Any]]  # request body -> chat completion body

TERMINAL = ("completed", "failed", "expired", "cancelled")


class FakeBatchAPI:
    """Files and batches in memory; `answer` turns one request body into its chat completion body."""

    def __init__(self, answer: JsonAnswer) -> None:
        self.answer = answer
        self.phase_seconds = 0.05
        self.outcome = "completed"
        self.expire_after = 0
        self.hold = False
        self.fail_lines: set[int] = set()  # input line numbers (from 0) answered 400
        self.seed = 7
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.created = 0  # batches created, in all
        self.uploads = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # -- routing ------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, bytes, str] | None:
        """(status, body, content type) for a files or batches path, None for any other path."""
        route = path.split("?", 1)[0].rstrip("/")
        query = dict(p.split("=", 1) for p in path.split("?", 1)[1].split("&") if "=" in p) if "?" in path else {}
        parts = route.split("/")[2:]  # after "/v1"
        if not parts or parts[0] not in ("files", "batches"):
            return None
        with self._lock:
            try:
                if parts[0] == "files":
                    return self._files(method, parts[1:], headers, raw)
                return self._batches(method, parts[1:], raw, query)
            except KeyError:
                return _json(404, {"error": {"message": f"no such object: {route}", "type": "invalid_request_error"}})

    def _files(self, method: str, rest: list[str], headers: dict[str, str], raw: bytes) -> tuple[int, bytes, str]:
        if method == "POST" and not rest:
            kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
            fields = _multipart(kind, raw)
            name, data = fields["file"]
            file_id = f"file-{next(self._ids):06d}"
            self.uploads += 1
            return _json(200, self._store(file_id, name, data, str(fields["purpose"][1].decode())))
        if method == "GET" and not rest:
            return _json(200, {"object": "list", "data": list(self.files.values()), "has_more": False})
        if method == "GET" and len(rest) == 2 and rest[1] == "content":
            return 200, self.contents[rest[0]], "application/octet-stream"
        if method == "GET" and len(rest) == 1:
            return _json(200, self.files[rest[0]])
        return _json(405, {"error": {"message": "not allowed"}})

    def _store(self, file_id: str, name: str, data: bytes, purpose: str) -> dict[str, Any]:
        meta = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": name,
            "purpose": purpose,
            "status": "processed",
        }
        self.files[file_id], self.contents[file_id] = meta, data
        return meta

    def _batches(self, method: str, rest: list[str], raw: bytes, query: dict[str, str]) -> tuple[int, bytes, str]:
        if method == "POST" and not rest:
            request = json.loads(raw)
            if request["input_file_id"] not in self.files:
                return _json(400, {"error": {"message": "no such input file", "type": "invalid_request_error"}})
            self.created += 1
            batch_id = f"batch_{next(self._ids):06d}"
            self.batches[batch_id] = {
                "id": batch_id,
                "object": "batch",
                "endpoint": request["endpoint"],
                "errors": None,
                "input_file_id": request["input_file_id"],
                "completion_window": request.get("completion_window", "24h"),
                "status": "validating",
                "output_file_id": None,
                "error_file_id": None,
                "created_at": int(time.time()),
                "request_counts": {"total": 0, "completed": 0, "failed": 0},
                "metadata": request.get("metadata"),
                "_started": time.monotonic(),
            }
            return _json(200, self._public(self.batches[batch_id]))
        if method == "GET" and not rest:
            listed = sorted(self.batches.values(), key=lambda b: b["id"], reverse=True)
            if "after" in query:
                listed = [b for b in listed if b["id"] < query["after"]]
            limit = int(query.get("limit", 20))
            page = [self._public(self._advance(b)) for b in listed[:limit]]
            return _json(200, {"object": "list", "data": page, "has_more": len(listed) > limit})
        batch = self.batches[rest[0]]
        if method == "POST" and rest[1:] == ["cancel"]:
            if batch["status"] not in TERMINAL:
                self._finish(batch, "cancelled", answered=0)
            return _json(200, self._public(batch))
        if method == "GET" and len(rest) == 1:
            return _json(200, self._public(self._advance(batch)))
        return _json(405, {"error": {"message": "not allowed"}})

    # -- the engine -----------------------------------------------------------------------------------
    def _advance(self, batch: dict[str, Any]) -> dict[str, Any]:
        if batch["status"] in TERMINAL:
            return batch
        lines = self._lines(batch)
        batch["request_counts"]["total"] = len(lines)
        phase = int((time.monotonic() - batch["_started"]) / max(self.phase_seconds, 1e-6))
        if self.hold:
            batch["status"] = "in_progress"
            return batch
        if phase < 1:
            return batch
        if self.outcome == "failed":
            errors = [{"code": "invalid_request", "message": "line is not a chat request", "line": 1, "param": None}]
            batch.update(status="failed", errors={"object": "list", "data": errors})
            return batch
        if phase < 2:
            batch["status"] = "in_progress"
            batch["request_counts"]["completed"] = len(lines) // 2
            return batch
        if self.outcome == "expired":
            self._finish(batch, "expired", answered=self.expire_after)
        elif phase < 3:
            batch["status"] = "finalizing"
        else:
            self._finish(batch, "completed", answered=len(lines))
        return batch

    def _finish(self, batch: dict[str, Any], status: str, *, answered: int) -> None:
        lines = self._lines(batch)
        out: list[str] = []
        errors: list[str] = []
        for n, line in enumerate(lines):
            custom_id = line["custom_id"]
            if n >= answered:
                errors.append(
                    _line(n, custom_id, None, {"code": "batch_expired", "message": "This request could not be executed"})
                )
            elif n in self.fail_lines:
                body = {"error": {"message": "the request failed (scripted)", "type": "invalid_request_error"}}
                errors.append(_line(n, custom_id, {"status_code": 400, "request_id": f"req_{n}", "body": body}, None))
            else:
                out.append(
                    _line(n, custom_id, {"status_code": 200, "request_id": f"req_{n}", "body": self.answer(line["body"])}, None)
                )
        random.Random(self.seed).shuffle(out)
        batch["_finished"] = time.monotonic()
        batch["status"] = status
        batch["request_counts"] = {"total": len(lines), "completed": len(out), "failed": len(errors)}
        if out:
            batch["output_file_id"] = self._store(
                f"file-{next(self._ids):06d}", "output.jsonl", "".join(out).encode(), "batch_output"
            )["id"]
        if errors:
            batch["error_file_id"] = self._store(
                f"file-{next(self._ids):06d}", "errors.jsonl", "".join(errors).encode(), "batch_output"
            )["id"]

    def _lines(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        if "_lines" not in batch:  # parsed once per batch
            raw = self.contents[batch["input_file_id"]].decode("utf-8")
            batch["_lines"] = [json.loads(line) for line in raw.splitlines() if line.strip()]
        lines: list[dict[str, Any]] = batch["_lines"]
        return lines

    @staticmethod
    def _public(batch: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in batch.items() if not k.startswith("_")}


def _line(n: int, custom_id: str, response: dict[str, Any] | None, error: dict[str, Any] | None) -> str:
    record = {"id": f"batch_req_{n}", "custom_id": custom_id, "response": response, "error": error}
    return json.dumps(record, ensure_ascii=False) + "\n"


def _json(status: int, body: Any) -> tuple[int, bytes, str]:
    return status, json.dumps(body, ensure_ascii=False).encode(), "application/json"


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str, bytes]]:
    """The fields of a multipart/form-data body: name -> (file name, bytes)."""
    boundary = content_type.split("boundary=", 1)[1].strip().strip('"').encode()
    fields: dict[str, tuple[str, bytes]] = {}
    for chunk in raw.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, _, body = chunk.partition(b"\r\n\r\n")
        headers = BytesParser(policy=HTTP).parsebytes(head.strip() + b"\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        filename = headers.get_param("filename", header="content-disposition")
        fields[str(name)] = (str(filename or ""), body[:-2] if body.endswith(b"\r\n") else body)
    return fields
