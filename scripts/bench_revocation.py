#!/usr/bin/env python3
"""Revocation delay between two Tessera instances sharing PostgreSQL with the token cache on.

For each of N tokens: B verifies it (so B caches it), A deletes it, then B is asked again and again until it
refuses. The delay is from A's answer to B's first refusal. Prints p50, p99 and max over N deletes.

    bench_revocation.py URL_A URL_B N
"""
import http.client
import json
import sys
import time
import urllib.parse


class Client:
    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port)
        self.cookie = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("tessera_session="):
                self.cookie = value.split(";")[0]
        return response.status, data

    def rpc(self, path, form):
        body = urllib.parse.urlencode(form)
        status, data = self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        )
        if status != 200:
            raise SystemExit(f"{path}: {status} {data[:200]!r}")
        return json.loads(data) if data else None


def token_headers(token):
    return {"X-ZeroPath-API-Token-Id": token["id"], "X-ZeroPath-API-Token-Secret": token["secret"]}


def main():
    url_a, url_b, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    browser = Client(url_a)
    browser.rpc("/rpc/auth/setup", {"email": "bench@example.com", "password": "benchmark password", "organization": "Bench"})
    admin = browser.rpc("/rpc/tokens/create", {"name": "deleter", "expires_in_days": "30"})
    victims = [browser.rpc("/rpc/tokens/create", {"expires_in_days": "30"}) for _ in range(n)]

    a, b = Client(url_a), Client(url_b)
    delays = []
    polls = []
    for token in victims:
        status, _ = b.request("GET", "/api/v1/whoami", headers=token_headers(token))
        assert status == 200, status
        # B now has the token in its cache; A deletes it.
        status, _ = a.request("DELETE", f"/api/v1/tokens/{token['id']}", headers=token_headers(admin))
        assert status == 204, status
        deleted_at = time.perf_counter()
        count = 0
        while True:
            count += 1
            status, _ = b.request("GET", "/api/v1/whoami", headers=token_headers(token))
            if status == 401:
                delays.append(time.perf_counter() - deleted_at)
                polls.append(count)
                break
            assert status == 200, status
    delays.sort()
    pick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] * 1000
    first_try = sum(1 for p in polls if p == 1)
    print(f"revocation delay A -> B over {n} deletes: p50 {pick(0.50):.2f} ms, p99 {pick(0.99):.2f} ms, "
          f"max {delays[-1] * 1000:.2f} ms; refused on the first request after the delete: {first_try}/{n}")


if __name__ == "__main__":
    main()
