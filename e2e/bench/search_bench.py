#!/usr/bin/env python3
"""Search latency over a large message table, measured from the client through the REST API.

Seeds a searcher in 20 direct chats, 20 more chats between other users (what the searcher
must never see), and N messages spread over all 40 chats, each 8 words drawn from a
5,000-word vocabulary with a skewed (Zipf-like) frequency: a few words are in up to half of
all messages, most are rare. Then runs GET /api/search from 4 concurrent
clients with query words of every frequency band, and filters, and prints p50/p95/p99/max.

Usage: search_bench.py --api http://127.0.0.1:19280 --db postgres://...  [--messages N]
       [--requests 600] [--concurrency 4] [--out FILE]
"""
import argparse, json, random, statistics, subprocess, sys, threading, time, urllib.parse, urllib.request, uuid

VOCAB = 5000


def call(api, method, path, token=None, body=None):
    req = urllib.request.Request(f"{api}/api{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"content-type": "application/json",
                                          **({"authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read() or b"null")


def psql(db, sql):
    out = subprocess.run(["psql", db, "-v", "ON_ERROR_STOP=1", "-qtAc", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def register(api, name):
    return call(api, "POST", "/auth/register", body={"username": name, "password": "bench-password"})


def seed(api, db, messages):
    tag = uuid.uuid4().hex[:6]
    me = register(api, f"searcher_{tag}")
    others = [register(api, f"peer{i}_{tag}") for i in range(40)]
    mine = [call(api, "POST", "/conversations/direct", me["access_token"], {"user_id": o["user"]["id"]})["id"] for o in others[:20]]
    theirs = [call(api, "POST", "/conversations/direct", others[i]["access_token"], {"user_id": others[i + 20]["user"]["id"]})["id"]
              for i in range(20)]
    convs = mine + theirs
    # Sender: the peer in my chats, the first of the two in theirs (both are members).
    senders = [o["user"]["id"] for o in others[:20]] * 2
    values = ",".join(f"({c},{s})" for c, s in zip(convs, senders))
    t = time.time()
    psql(db, f"""
      WITH chats(cid, sender) AS (VALUES {values}),
      numbered AS (SELECT g, (g % {len(convs)}) AS slot FROM generate_series(1, {messages}) g)
      INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body, created_at)
      SELECT c.cid, row_number() OVER (PARTITION BY c.cid ORDER BY n.g), c.sender, gen_random_uuid(), 'text',
             (SELECT string_agg('w' || floor({VOCAB} * power(random(), 3))::int, ' ')
                FROM generate_series(1, 8) WHERE n.g > 0),
             now() - make_interval(secs => ({messages} - n.g))
      FROM numbered n JOIN (SELECT cid, sender, row_number() OVER () - 1 AS slot FROM chats) c ON c.slot = n.slot
      -- Ids in arrival order, as the sequence hands them out in production (not grouped by chat).
      ORDER BY n.g;
      UPDATE conversations SET last_seq = (SELECT max(seq) FROM messages m WHERE m.conversation_id = conversations.id);
      ANALYZE messages;""")
    return me, convs[:20], time.time() - t


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--out")
    a = ap.parse_args()

    print(f"seeding {a.messages:,} messages ...", file=sys.stderr)
    me, my_chats, seed_s = seed(a.api, a.db, a.messages)
    total = int(psql(a.db, "SELECT count(*) FROM messages"))
    print(f"seeded in {seed_s:.0f} s; {total:,} messages in the table", file=sys.stderr)
    token = me["access_token"]
    rng = random.Random(7)
    # Word bands by rank: w0-w9 in 3.5-47 % of messages, w100-w199 ~0.5 %, w2000+ ~0.07 %.
    bands = {"frequent (w0-w9)": (0, 10), "medium (w100-w199)": (100, 200), "rare (w2000-w4999)": (2000, 5000)}
    queries = []
    for i in range(a.requests):
        band = list(bands)[i % 3]
        lo, hi = bands[band]
        params = {"q": f"w{rng.randrange(lo, hi)}", "limit": "50"}
        kind = ["plain", "two words", "in one chat", "date range"][i % 4]
        if kind == "two words":
            params["q"] += f" w{rng.randrange(lo, hi)}"
        elif kind == "in one chat":
            params["conversation_id"] = str(rng.choice(my_chats))
        elif kind == "date range":
            params["after"] = "2000-01-01T00:00:00Z"
        queries.append((band, kind, urllib.parse.urlencode(params)))
    results, lock = [], threading.Lock()

    def worker(batch):
        for band, kind, qs in batch:
            t = time.perf_counter()
            page = call(a.api, "GET", f"/search?{qs}", token)
            ms = (time.perf_counter() - t) * 1000
            with lock:
                results.append((band, kind, ms, len(page["items"])))

    for _ in range(10):  # warm the caches
        call(a.api, "GET", "/search?q=w1", token)
    threads = [threading.Thread(target=worker, args=(queries[i::a.concurrency],)) for i in range(a.concurrency)]
    t0 = time.time()
    [t.start() for t in threads]
    [t.join() for t in threads]
    wall = time.time() - t0

    def summary(rows):
        ms = [r[2] for r in rows]
        return {"count": len(ms), "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
                "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(max(ms), 1),
                "mean_hits": round(statistics.mean(r[3] for r in rows), 1)}

    report = {"messages_in_table": total, "requests": len(results), "concurrency": a.concurrency,
              "requests_per_s": round(len(results) / wall, 1), "all": summary(results),
              "by_band": {b: summary([r for r in results if r[0] == b]) for b in bands}}
    print("\n| queries | count | p50 ms | p95 ms | p99 ms | max ms | hits/page |\n|---|---|---|---|---|---|---|")
    for name, s in [("all", report["all"])] + list(report["by_band"].items()):
        print(f"| {name} | {s['count']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | {s['max_ms']} | {s['mean_hits']} |")
    print(json.dumps({"scenario": "search", "result": report}))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
