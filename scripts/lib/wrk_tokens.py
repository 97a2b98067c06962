"""wrk scripts over the tokens in DIR/tokens.jsonl (see wrk_token_scripts in serve.sh).

Requests are built once in init(), then handed out round-robin (no per-request work):
valid.lua sends each token with its secret; wrong.lua each id with another token's secret (well-formed,
right checksum, wrong for that id); plain.lua no token headers; restricted.lua, when DIR/restricted.jsonl exists, each restricted token. DIR/one holds the first token's id and
secret, for a run on one token.
"""
import json
import sys

work = sys.argv[1]
tokens = [json.loads(line) for line in open(f"{work}/tokens.jsonl") if line.strip()]


def script(name, pairs):
    rows = ",\n".join(f'  {{"{i}", "{s}"}}' for i, s in pairs)
    with open(f"{work}/{name}.lua", "w") as f:
        f.write(f"""local tokens = {{
{rows}
}}
local requests = {{}}
local n = 0
init = function(args)
  for i, t in ipairs(tokens) do
    if t[1] == "" then
      requests[i] = wrk.format(nil, nil, {{}})
    else
      requests[i] = wrk.format(nil, nil, {{["X-ZeroPath-API-Token-Id"] = t[1], ["X-ZeroPath-API-Token-Secret"] = t[2]}})
    end
  end
end
request = function()
  n = n % #requests + 1
  return requests[n]
end
""")


script("valid", [(t["id"], t["secret"]) for t in tokens])
script("wrong", [(t["id"], tokens[(k + 1) % len(tokens)]["secret"]) for k, t in enumerate(tokens)])
script("plain", [("", "") for _ in tokens])
# Tokens with all three restrictions (bench.sh creates them into DIR/restricted.jsonl), if any.
try:
    restricted = [json.loads(line) for line in open(f"{work}/restricted.jsonl") if line.strip()]
except FileNotFoundError:
    restricted = []
if restricted:
    script("restricted", [(t["id"], t["secret"]) for t in restricted])
with open(f"{work}/one", "w") as f:
    f.write(f'{tokens[0]["id"]} {tokens[0]["secret"]}\n')
