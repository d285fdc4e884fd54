import json, sys, time
# A JSON-RPC 2.0 server on stdin/stdout, as external/testdata/jsonrpc_server: the result is
# {"param": params[0], "count": calls so far}; flags -delay SECONDS, -bad-id, -error.
args = sys.argv[1:]
count = 0
for line in sys.stdin:
    request = json.loads(line)
    count += 1
    if "-delay" in args:
        time.sleep(float(args[args.index("-delay") + 1]))
    answer = {"jsonrpc": "2.0", "id": request["id"]}
    if "-bad-id" in args:
        answer["id"] = -1
    if "-error" in args:
        answer["error"] = {"code": -32000, "message": "failure requested"}
    else:
        answer["result"] = {"param": request["params"][0], "count": count}
    print(json.dumps(answer), flush=True)
