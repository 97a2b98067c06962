"""The leak-report figure of `make bench`: one GitHub secret-scanning report of 1,000 secrets.

  github_report.py keys DIR        DIR/github.key (P-256, made by openssl) -> DIR/github-keys.json
  github_report.py report DIR URL  signs a report of DIR/tokens.jsonl's secrets topped up to 1,000 with
                                   made-up well-formed ones, posts it to URL/api/v1/leaks/github, prints
                                   the time it took
"""
import base64, json, os, secrets, subprocess, sys, time, urllib.request, zlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def checksum(body):
    n = zlib.crc32(body.encode())
    out = []
    for _ in range(6):
        out.append(ALPHABET[n % 62])
        n //= 62
    return "".join(reversed(out))


def made_up(prefix="tsr"):
    body = "".join(secrets.choice(ALPHABET) for _ in range(43))
    return f"{prefix}_{body}{checksum(body)}"


def keys(work):
    pem = subprocess.run(
        ["openssl", "ec", "-in", f"{work}/github.key", "-pubout"], check=True, capture_output=True, text=True
    ).stdout
    document = {"public_keys": [{"key_identifier": "bench", "key": pem, "is_current": True}]}
    with open(f"{work}/github-keys.json", "w") as f:
        json.dump(document, f)


def report(work, url, count=1000):
    real = []
    with open(f"{work}/tokens.jsonl") as f:
        for line in f:
            if line.strip():
                real.append(json.loads(line)["secret"])
    tokens = real + [made_up() for _ in range(count - len(real))]
    body = json.dumps(
        [{"token": t, "type": "tessera_api_token", "url": "https://github.com/bench/repo/blob/main/.env", "source": "content"} for t in tokens]
    ).encode()
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", f"{work}/github.key"], input=body, check=True, capture_output=True
    ).stdout
    request = urllib.request.Request(
        f"{url}/api/v1/leaks/github",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Github-Public-Key-Identifier": "bench",
            "Github-Public-Key-Signature": base64.b64encode(signature).decode(),
        },
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        feedback = json.load(response)
    elapsed = time.perf_counter() - started
    revoked = sum(1 for item in feedback if item["label"] == "true_positive")
    print(
        f"GitHub leak report, {len(tokens):,} secrets ({revoked} live, revoked), SQLite: "
        f"{elapsed * 1000:.0f} ms (goal < 1 s)"
    )


if __name__ == "__main__":
    if sys.argv[1] == "keys":
        keys(sys.argv[2])
    else:
        report(sys.argv[2], sys.argv[3])
