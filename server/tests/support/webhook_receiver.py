"""A webhook receiver for the tests: verifies every delivery with the Standard Webhooks reference
library (standardwebhooks), not with Tessera's code, and appends what it saw to a JSON-lines file:
{"id", "timestamp", "verified", "error", "type", "subject_id", "answered", "at"}.

Control (from the test): POST /_config {"secret": "whsec_...", "fail_first": N} sets the secret to
verify with, and makes the first N requests of each webhook-id answer 500.

Prints "READY <port>"; runs until killed."""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

state = {"secret": None, "fail_first": 0, "seen": {}}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path == "/_config":
            with lock:
                state.update(json.loads(body))
            return self.answer(204)
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = {"id": headers.get("webhook-id"), "timestamp": headers.get("webhook-timestamp"), "at": time.time()}
        try:
            event = Webhook(state["secret"]).verify(body, headers)
            record.update(verified=True, error=None, type=event.get("type"), subject_id=event["data"]["subject"]["id"])
        except Exception as e:  # noqa: BLE001 - every failure is recorded for the test to see
            record.update(verified=False, error=f"{type(e).__name__}: {e}", type=None, subject_id=None)
        with lock:
            seen = state["seen"].get(record["id"], 0) + 1
            state["seen"][record["id"]] = seen
            status = 500 if seen <= int(state.get("fail_first") or 0) else (200 if record["verified"] else 400)
            record["answered"] = status
            with open(self.server.out, "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
        self.answer(status)

    def answer(self, status):
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.out = args.out
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
