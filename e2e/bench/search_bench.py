#!/usr/bin/env python3
"""Search latency over a large message table, measured from the client through the REST API.

Seeds (in SQL, one statement per table) a searcher who is in 40 direct chats and 4 groups of 3
channels each (52 conversations), plus 20 direct chats and 2 groups between other users that
the searcher must never see, and N messages over all of them: a few chats are busy, most are
quiet; each message is 3-12 words drawn with a Zipf-like frequency from a vocabulary of about
30,700 words (English stop words, ~900 work-chat words and word forms, ~29,700 rare
made-up words such as names and codes), 2 % carry a link; a year of history in arrival order.
Then runs GET /api/search as the searcher from 4 concurrent clients with a mix of queries
(common word, medium word, rare word, prefix, word form, two words, each filter), prints
p50/p95/p99/max per kind, and `EXPLAIN (ANALYZE, BUFFERS)` of the SQL of the slowest queries
(each step `shared::models::search::matching_ids` runs).

Usage: search_bench.py --api http://127.0.0.1:19280 --db postgres://...  [--messages N]
       [--requests 700] [--concurrency 4] [--out FILE] [--time-migration DIR] [--explain 3]
"""
import argparse, json, random, statistics, subprocess, sys, threading, time, urllib.parse, urllib.request, uuid
from datetime import datetime, timedelta, timezone

# --- vocabulary -------------------------------------------------------------------------------
STOP = """the i you to a and it is that of in for on we be this have my me do not are so with
just at can if but was what will your they all get it's no about up there like he she would
out one how its or when by an as from our now them been had then some were us his her""".split()
CHAT = """ok yes thanks lol sure cool nice great good yeah hey hi hello sorry please maybe okay""".split()
# Verbs and nouns of work chat; each also appears in its other forms (see forms()).
VERBS = """meet plan ship send call review fix test deploy merge build check update share book
move start finish cancel order pay invoice schedule release design write read sign approve
report join leave help ask answer wait look need want think try work talk print upload
download install configure debug measure migrate backup restore monitor alert page escalate
present discuss decide agree remind confirm deliver return refund price quote offer hire
interview train onboard record publish draft edit translate package label track""".split()
NOUNS = """meeting budget project customer server database invoice ticket release sprint deadline
report contract office lunch dinner flight hotel train car bus weekend morning evening
afternoon week month quarter year team manager client vendor supplier laptop phone screen
monitor keyboard printer network cluster node queue cache index query backup error bug issue
feature design document slide spreadsheet email message chat channel group file folder photo
video link password account login session token key certificate domain website app update
version build branch commit review test deploy incident outage alert dashboard metric graph
log trace budget cost price discount order payment refund shipment package delivery address
warehouse store shop market sale lead deal proposal offer quote agenda minutes notes task
goal plan idea question answer problem solution risk change request approval policy rule
coffee tea pizza birthday party holiday vacation doctor school kid dog cat game movie book
song concert ticket match score goal weather rain snow sun beach mountain trip visit""".split()


def forms(word, verb):
    """The word and its inflected forms (spelled well enough for the English stemmer)."""
    out = [word, word + "es" if word.endswith(("s", "sh", "ch", "x")) else word + "s"]
    if verb:
        if word.endswith("e"):
            out += [word + "d", word[:-1] + "ing"]
        elif len(word) <= 4 and word[-1] not in "aeiouwy" and word[-2] in "aeiou" and word[-3] not in "aeiou":
            out += [word + word[-1] + "ed", word + word[-1] + "ing"]
        elif word.endswith("y") and word[-2] not in "aeiou":
            out += [word[:-1] + "ied", word + "ing"]
        else:
            out += [word + "ed", word + "ing"]
    return out


def vocabulary(rng):
    """Words by rank (rank 0 the most frequent): stop words and chat words first, then the work
    words in all their forms, then a long tail of made-up rare words."""
    common = []
    for w in VERBS:
        common += forms(w, True)
    for w in NOUNS:
        common += forms(w, False)
    common = list(dict.fromkeys(w for w in common if w not in STOP))
    rng.shuffle(common)
    syll = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    tail = set()
    while len(tail) < 30000:
        tail.add("".join(rng.choice(syll) for _ in range(rng.choice((2, 3, 3, 4)))) + rng.choice(("", "", "n", "r", "s", "x")))
    tail = sorted(tail - set(common) - set(STOP))
    rng.shuffle(tail)
    head = STOP[:12] + CHAT[:6] + STOP[12:40] + CHAT[6:] + STOP[40:]
    return list(dict.fromkeys(head + common + tail))


# --- API and SQL helpers ------------------------------------------------------------------------
def call(api, method, path, token=None, body=None):
    req = urllib.request.Request(f"{api}/api{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"content-type": "application/json",
                                          **({"authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=60) as res:
        return json.loads(res.read() or b"null")


def psql(db, sql, *args):
    out = subprocess.run(["psql", db, "-v", "ON_ERROR_STOP=1", "-qtAX", *args, "-c", sql], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"psql failed: {out.stderr.strip()}\n{sql[:2000]}")
    return out.stdout.strip()


def psql_file(db, path, single_transaction=True):
    flags = ["-1"] if single_transaction else []
    subprocess.run(["psql", db, "-v", "ON_ERROR_STOP=1", "-qX", *flags, "-f", path], check=True, capture_output=True, text=True)


def lit(s):
    return "'" + s.replace("'", "''") + "'"


DIRECT_MINE, DIRECT_THEIRS, GROUPS_MINE, GROUPS_THEIRS, CHANNELS, GROUP_SIZE = 40, 20, 4, 2, 3, 9


def seed(api, db, messages, words):
    tag = uuid.uuid4().hex[:6]
    password = "bench-password"
    me = call(api, "POST", "/auth/register", body={"username": f"searcher_{tag}", "password": password})
    my_id = me["user"]["id"]
    peers = DIRECT_MINE + 2 * DIRECT_THEIRS + GROUPS_THEIRS * GROUP_SIZE + 8
    t = time.time()
    psql(db, "CREATE TABLE bench_vocab (rank int PRIMARY KEY, word text NOT NULL)")
    subprocess.run(["psql", db, "-v", "ON_ERROR_STOP=1", "-qX", "-c", "COPY bench_vocab FROM STDIN"], check=True,
                   input="".join(f"{i}\t{w}\n" for i, w in enumerate(words)), text=True, capture_output=True)
    psql(db, f"""
      CREATE TEMP TABLE p AS
        WITH ins AS (INSERT INTO users (username, display_name, password_hash)
                     SELECT 'peer' || g || '_{tag}', 'Peer ' || g, u.password_hash
                     FROM generate_series(0, {peers - 1}) g, users u WHERE u.id = {my_id}
                     RETURNING id, username)
        SELECT id, (regexp_match(username, '^peer(\\d+)_'))[1]::int AS n FROM ins;
      -- Direct chats: mine with peers 0..{DIRECT_MINE - 1}, theirs between the next peers in pairs.
      CREATE TEMP TABLE d AS
        SELECT n, mine, a, b FROM (
          SELECT p.n, true AS mine, {my_id}::bigint AS a, p.id AS b FROM p WHERE p.n < {DIRECT_MINE}
          UNION ALL
          SELECT p1.n, false, p1.id, p2.id FROM p p1 JOIN p p2 ON p2.n = p1.n + {DIRECT_THEIRS}
          WHERE p1.n >= {DIRECT_MINE} AND p1.n < {DIRECT_MINE + DIRECT_THEIRS}) x;
      CREATE TABLE bench_conv (slot serial, cid bigint, mine boolean, members bigint[]);
      WITH c AS (INSERT INTO conversations (kind, direct_low, direct_high)
                 SELECT 'direct', least(a, b), greatest(a, b) FROM d RETURNING id, direct_low, direct_high),
           m AS (INSERT INTO conversation_members (conversation_id, user_id)
                 SELECT c.id, u FROM c, LATERAL (VALUES (c.direct_low), (c.direct_high)) v(u) RETURNING 1)
      INSERT INTO bench_conv (cid, mine, members)
        SELECT c.id, d.mine, ARRAY[c.direct_low, c.direct_high] FROM c JOIN d ON least(d.a, d.b) = c.direct_low AND greatest(d.a, d.b) = c.direct_high;
      -- Groups: mine (me + 8 peers), theirs (9 peers); 3 channels each, every member in each.
      CREATE TEMP TABLE gm AS
        SELECT g, (g < {GROUPS_MINE}) AS mine,
               CASE WHEN g < {GROUPS_MINE}
                    THEN {my_id}::bigint || ARRAY(SELECT id FROM p WHERE n >= (g * 2) % {DIRECT_MINE} AND n < (g * 2) % {DIRECT_MINE} + {GROUP_SIZE - 1} ORDER BY n)
                    ELSE ARRAY(SELECT id FROM p WHERE n >= {DIRECT_MINE + 2 * DIRECT_THEIRS} + (g - {GROUPS_MINE}) * {GROUP_SIZE}
                                                  AND n < {DIRECT_MINE + 2 * DIRECT_THEIRS} + (g - {GROUPS_MINE} + 1) * {GROUP_SIZE} ORDER BY n)
               END AS members
        FROM generate_series(0, {GROUPS_MINE + GROUPS_THEIRS - 1}) g;
      ALTER TABLE gm ADD COLUMN gid bigint;
      UPDATE gm SET gid = nextval(pg_get_serial_sequence('groups', 'id'));
      INSERT INTO groups (id, name, created_by) SELECT gid, 'Bench group ' || g, members[1] FROM gm;
      INSERT INTO group_members (group_id, user_id, role)
        SELECT gid, u, CASE WHEN i = 1 THEN 'owner' ELSE 'member' END FROM gm, unnest(members) WITH ORDINALITY x(u, i);
      WITH c AS (INSERT INTO conversations (kind, group_id, name)
                 SELECT 'channel', gid, ch FROM gm, unnest(ARRAY['general', 'random', 'ops']) ch RETURNING id, group_id),
           m AS (INSERT INTO conversation_members (conversation_id, user_id)
                 SELECT c.id, u FROM c JOIN gm ON gm.gid = c.group_id, unnest(gm.members) u RETURNING 1)
      INSERT INTO bench_conv (cid, mine, members) SELECT c.id, gm.mine, gm.members FROM c JOIN gm ON gm.gid = c.group_id;
    """)
    convs = int(psql(db, "SELECT count(*) FROM bench_conv"))
    # The search index is built once after the fill (as CREATE INDEX does on a restore): an
    # insert of a million rows into a GIN index is slower and ends with the same index.
    psql(db, f"""
      SET maintenance_work_mem = '256MB';
      DROP INDEX messages_search_idx;
      -- Busy and quiet chats, mine and theirs mixed: slots shuffled, the share by position.
      CREATE TEMP TABLE w AS SELECT row_number() OVER (ORDER BY md5(cid::text || '{tag}')) - 1 AS k, cid, members FROM bench_conv;
      WITH numbered AS (
        SELECT g,
               -- Zipf-like over the chats: slot k gets a share ~ 1 / (k + 2).
               floor(3 * power(({convs} + 3) / 3.0, random()) - 3)::int AS k
        FROM generate_series(1, {messages}) g)
      INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body, created_at)
      SELECT w.cid, row_number() OVER (PARTITION BY w.cid ORDER BY n.g),
             w.members[1 + floor(random() * cardinality(w.members))::int], gen_random_uuid(), 'text',
             -- Word ranks Zipf-like: rank r ~ 1 / (r + 2.7); one index lookup per word.
             (SELECT string_agg((SELECT word FROM bench_vocab WHERE rank = r), ' ')
                FROM (SELECT floor(2.7 * power(({len(words)} + 2.7) / 2.7, random()) - 2.7)::int AS r
                      FROM generate_series(1, 3 + ((n.g::bigint * 7919) % 10)::int) WHERE n.g > 0) x)
               || CASE WHEN random() < 0.02 THEN ' https://example.com/' || substr(md5(n.g::text), 1, 8) ELSE '' END,
             now() - make_interval(secs => 365 * 86400.0 * ({messages} - n.g) / {messages})
      FROM numbered n JOIN w ON w.k = least(n.k, {convs - 1})
      -- Ids in arrival order, as the sequence hands them out in production (not grouped by chat).
      ORDER BY n.g;
      CREATE INDEX messages_search_idx ON messages USING GIN (search_tsv);
      UPDATE conversations c SET last_seq = x.s, last_message_at = x.t
        FROM (SELECT conversation_id, max(seq) AS s, max(created_at) AS t FROM messages GROUP BY 1) x WHERE x.conversation_id = c.id;
    """)
    for table in ("messages", "conversation_members", "conversations"):
        psql(db, f"VACUUM ANALYZE {table}")
    mine = [int(x) for x in psql(db, "SELECT cid FROM bench_conv WHERE mine ORDER BY slot").split()]
    busy = psql(db, f"SELECT conversation_id, count(*) FROM messages WHERE conversation_id IN ({','.join(map(str, mine))}) GROUP BY 1 ORDER BY 2 DESC")
    peers_mine = [int(x) for x in psql(db, f"SELECT DISTINCT user_id FROM conversation_members WHERE conversation_id IN ({','.join(map(str, mine))}) AND user_id <> {my_id} ORDER BY 1").split()]
    token = call(api, "POST", "/auth/login", body={"username": f"searcher_{tag}", "password": password})["access_token"]
    return {"me": my_id, "token": token, "mine": mine, "busy": [int(r.split("|")[0]) for r in busy.splitlines()],
            "chat_sizes": [int(r.split("|")[1]) for r in busy.splitlines()], "peers": peers_mine, "seed_s": time.time() - t}


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


KINDS = ["common word", "medium word", "rare word", "prefix", "word form", "two words",
         "in one chat", "from one sender", "last 30 days", "with links"]


def make_queries(n, words, s, rng):
    """`n` queries, a tenth of each kind. Ranks: stop and chat words first, then common words."""
    content = [w for w in words if w not in STOP and w not in CHAT]
    common, medium, rare = content[:60], content[300:1500], content[3000:]
    # Word forms present in the messages: ask another form of a common or medium verb.
    verb_forms = [(w, forms(w, True)) for w in VERBS]
    now = datetime.now(timezone.utc)
    out = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        params = {"limit": "50"}
        if kind == "common word":
            q = rng.choice(CHAT[:8] + common)
        elif kind == "medium word":
            q = rng.choice(medium)
        elif kind == "rare word":
            q = rng.choice(rare)
        elif kind == "prefix":  # being typed: 3-5 letters of a common or medium word
            w = rng.choice([w for w in common + medium[:300] if len(w) >= 5])
            q = w[: rng.randint(3, 5)]
        elif kind == "word form":  # "meetings" finds "meeting", "shipped" finds "shipping"
            base, fs = rng.choice(verb_forms)
            q = rng.choice(fs[1:]) + " "  # a trailing space: the whole word, no prefix
        elif kind == "two words":
            q = f"{rng.choice(common)} {rng.choice(medium)}"
        else:
            q = rng.choice(medium)
            if kind == "in one chat":
                params["conversation_id"] = str(rng.choice(s["busy"][:5] + s["busy"][-5:]))
            elif kind == "from one sender":
                params["sender_id"] = str(rng.choice(s["peers"]))
            elif kind == "last 30 days":
                params["after"] = (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
            elif kind == "with links":
                params["has"] = "links"
                q = rng.choice(common)
        params["q"] = q
        out.append((kind, params))
    return out


# The SQL of shared/src/models/search.rs (keep in step), for EXPLAIN of a slow query.
MATCHES = """m.search_tsv @@ q.query AND m.deleted_at IS NULL
    AND ($4::bigint IS NULL OR m.sender_id = $4) AND ($5::timestamptz IS NULL OR m.created_at >= $5)
    AND ($6::timestamptz IS NULL OR m.created_at < $6)
    AND CASE $7::text WHEN 'media' THEN m.kind IN ('image', 'voice') WHEN 'files' THEN m.kind = 'file' ELSE true END
    AND ($8::bigint IS NULL OR m.id < $8)"""
# One step of the newest-first search: the matches with an id from $10 up (FIRST_RANGE = 32768
# ids below the top, walked (WALK); then 8 times more each step by bitmaps; the GIN plan last;
# only the GIN plan when the planner expects <= FEW_MATCHES matches). $2 carries `& 'has link'` for has=links.
STEP = f"""WITH q AS (SELECT $2::tsquery AS query),
  found AS MATERIALIZED (SELECT m.id, m.conversation_id, m.seq FROM q, messages m WHERE {MATCHES} AND m.id >= $10 AND ($3::bigint IS NULL OR m.conversation_id = $3))
SELECT found.id FROM found JOIN conversation_members cm ON cm.conversation_id = found.conversation_id AND cm.user_id = $1
WHERE found.seq > cm.cleared_seq ORDER BY found.id DESC LIMIT $9"""
# The first step: back along the primary key from the top until 50 hits or id $10.
WALK = f"""WITH q AS (SELECT $2::tsquery AS query)
SELECT m.id FROM q, messages m JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $1
WHERE {MATCHES} AND m.id >= $10 AND m.seq > cm.cleared_seq AND ($3::bigint IS NULL OR m.conversation_id = $3)
ORDER BY m.id DESC LIMIT $9"""
GIN = f"""WITH q AS (SELECT $2::tsquery AS query),
  found AS MATERIALIZED (SELECT m.id, m.conversation_id, m.seq FROM q, messages m WHERE {MATCHES} AND ($3::bigint IS NULL OR m.conversation_id = $3))
SELECT found.id FROM found JOIN conversation_members cm ON cm.conversation_id = found.conversation_id AND cm.user_id = $1
WHERE found.seq > cm.cleared_seq ORDER BY found.id DESC LIMIT $9"""


def tsquery_of(db, q):
    """The tsquery the API makes of a query of plain words (`SearchQuery::compile`)."""
    words = q.split()
    prefix = not q.endswith(" ") and len(words[-1]) >= 3
    terms = []
    for i, w in enumerate(words):
        t = lit(w) if not (prefix and i == len(words) - 1) else lit(w) + ":*"
        terms.append(f"(to_tsquery('english', {lit(t)}) || to_tsquery('simple', {lit(t)}))")
    return psql(db, f"SELECT ({' && '.join(f'({t})' for t in terms)})::text")


FEW_MATCHES = 5000


def explain(db, me, params, first_range=32768, growth=8):
    """EXPLAIN (ANALYZE, BUFFERS) of each step `matching_ids` runs for this query."""
    tsq = tsquery_of(db, params["q"])
    if params.get("has") == "links":
        tsq = f"({tsq}) & 'has link'"
    args = [str(me), lit(tsq), params.get("conversation_id", "NULL"), params.get("sender_id", "NULL"),
            lit(params["after"]) if "after" in params else "NULL", "NULL", lit(params["has"]) if "has" in params else "NULL",
            "NULL", "50"]
    types = "bigint, text, bigint, bigint, timestamptz, timestamptz, text, bigint, bigint"
    top = int(psql(db, "SELECT max(id) + 1 FROM messages"))
    chat, sender = params.get("conversation_id", "NULL"), params.get("sender_id", "NULL")
    expected = json.loads(psql(db, f"EXPLAIN (FORMAT JSON) SELECT 1 FROM messages m WHERE m.search_tsv @@ {lit(tsq)}::tsquery"
                               f" AND ({chat}::bigint IS NULL OR m.conversation_id = {chat})"
                               f" AND ({sender}::bigint IS NULL OR m.sender_id = {sender})"))[0]["Plan"]["Plan Rows"]
    out, r = [f"(the planner expects {expected:,} matches: {'the GIN plan' if expected <= FEW_MATCHES else 'range steps'})"], first_range
    while True:
        step = r < top and expected > FEW_MATCHES
        sql = (WALK if r == first_range else STEP) if step else GIN
        n = f", bigint) AS {sql}" if step else f") AS {sql}"
        # As matching_ids runs them: the first range walked (bitmap scans off), later ones by
        # bitmaps only (index scans off).
        hint = ("SET enable_bitmapscan = off; " if r == first_range else "SET enable_indexscan = off; ") if step else ""
        plan = psql(db, f"{hint}PREPARE s({types}{n}; EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE s({', '.join(args + ([str(top - r)] if step else []))});")
        name = f"step: the newest {r} ids" if step else "GIN plan over everything"
        out.append(f"--- {name}: q={params['q']!r} tsquery={tsq} {dict((k, v) for k, v in params.items() if k not in ('q', 'limit'))}\n{plan}")
        hits = plan.split("rows=")[1].split()[0].rstrip(")") if "rows=" in plan else "0"
        if not step or int(hits) >= 50:
            return "\n".join(out)
        r *= growth


def time_migration(db, migration_dir):
    """Migration 000200 on this table: back to the state before it (its down.sql), then its
    up.sql timed, in one transaction as diesel runs it."""
    t = time.time()
    psql_file(db, f"{migration_dir}/down.sql")
    down_s = time.time() - t
    t = time.time()
    psql_file(db, f"{migration_dir}/up.sql")
    up_s = time.time() - t
    psql(db, "VACUUM ANALYZE messages")
    return {"down_s": round(down_s, 1), "up_s": round(up_s, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=700)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--explain", type=int, default=2, help="EXPLAIN ANALYZE the N slowest queries")
    ap.add_argument("--time-migration", metavar="DIR", help="time this migration's up.sql on the seeded table")
    ap.add_argument("--out")
    a = ap.parse_args()

    words = vocabulary(random.Random(11))
    print(f"seeding {a.messages:,} messages, vocabulary {len(words):,} words ...", file=sys.stderr)
    s = seed(a.api, a.db, a.messages, words)
    total = int(psql(a.db, "SELECT count(*) FROM messages"))
    sizes = {"table_mb": int(psql(a.db, "SELECT pg_table_size('messages') / 1048576")),
             "search_index_mb": int(psql(a.db, "SELECT pg_relation_size('messages_search_idx') / 1048576")),
             "distinct_lexemes": int(psql(a.db, "SELECT count(*) FROM ts_stat('SELECT search_tsv FROM messages WHERE id % 20 = 0')"))}
    print(f"seeded in {s['seed_s']:.0f} s; {total:,} messages; the searcher's {len(s['mine'])} chats hold "
          f"{sum(s['chat_sizes']):,} (largest {s['chat_sizes'][:3]}, smallest {s['chat_sizes'][-3:]}); {sizes}", file=sys.stderr)
    migration = None
    if a.time_migration:
        print(f"timing {a.time_migration} ...", file=sys.stderr)
        migration = time_migration(a.db, a.time_migration)
        print(f"migration: {migration}", file=sys.stderr)

    rng = random.Random(7)
    queries = make_queries(a.requests, words, s, rng)
    results, lock = [], threading.Lock()

    def worker(batch):
        for kind, params in batch:
            qs = urllib.parse.urlencode(params)
            t = time.perf_counter()
            page = call(a.api, "GET", f"/search?{qs}", s["token"])
            ms = (time.perf_counter() - t) * 1000
            with lock:
                results.append((kind, ms, len(page["items"]), params))

    for w in ("thanks", "meeting", "budget", "ok"):  # warm the caches
        call(a.api, "GET", f"/search?q={w}", s["token"])
    threads = [threading.Thread(target=worker, args=(queries[i::a.concurrency],)) for i in range(a.concurrency)]
    t0 = time.time()
    [t.start() for t in threads]
    [t.join() for t in threads]
    wall = time.time() - t0

    def summary(rows):
        ms = [r[1] for r in rows]
        return {"count": len(ms), "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
                "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(max(ms), 1),
                "mean_hits": round(statistics.mean(r[2] for r in rows), 1)}

    report = {"messages_in_table": total, "my_conversations": len(s["mine"]), "my_messages": sum(s["chat_sizes"]),
              "vocabulary": len(words), **sizes, "seed_s": round(s["seed_s"]), "migration": migration,
              "requests": len(results), "concurrency": a.concurrency, "requests_per_s": round(len(results) / wall, 1),
              "all": summary(results), "by_kind": {k: summary([r for r in results if r[0] == k]) for k in KINDS}}
    print("\n| queries | count | p50 ms | p95 ms | p99 ms | max ms | hits/page |\n|---|---|---|---|---|---|---|")
    for name, x in [("all", report["all"])] + list(report["by_kind"].items()):
        print(f"| {name} | {x['count']} | {x['p50_ms']} | {x['p95_ms']} | {x['p99_ms']} | {x['max_ms']} | {x['mean_hits']} |")
    slowest = sorted(results, key=lambda r: -r[1])[: a.explain]
    for kind, ms, hits, params in slowest:
        print(f"\n## slow: {kind}, {ms:.1f} ms, {hits} hits, {params}")
        print(explain(a.db, s["me"], params))
    print(json.dumps({"scenario": "search", "result": report}))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({**report, "slowest": [{"kind": k, "ms": round(ms, 1), "params": p} for k, ms, _, p in slowest]}, f, indent=2)


if __name__ == "__main__":
    main()
