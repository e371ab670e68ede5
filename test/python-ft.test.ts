/**
 * redis-py's search API (Debian's python3-redis) against a started vsetd, making the calls
 * `langchain_community.vectorstores.Redis` makes (issue 15): MODULE LIST must name `search` at
 * ≥ 20600, FT.INFO of a missing index fails, create_index with an IndexDefinition on a
 * `doc:<index>` prefix, hashes written through a pipeline, KNN with a TAG pre-filter and a
 * VECTOR_RANGE query with `$yield_distance_as`, sorted and paged as the store asks. Every result
 * is compared with an exact search the script computes itself.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { PYTHON, requireTool, skipWithout } from './helpers/tools.js';
import { serverForFile } from './helpers/server.js';

const SCRIPT = String.raw`
import sys, struct, math, random, json
import redis
from redis.commands.search.field import TextField, TagField, NumericField, VectorField
from redis.commands.search.indexDefinition import IndexDefinition, IndexType
from redis.commands.search.query import Query

r = redis.Redis(port=int(sys.argv[1]))
out = {}

# What the store checks first: the search module and its version.
mods = {m[b"name"].decode(): m[b"ver"] for m in r.module_list()}
out["search_ok"] = mods.get("search", 0) >= 20600

index = "kb_index_acme"
prefix = "doc:" + index
try:
    r.ft(index).info()
    out["missing_info"] = "no error"
except redis.ResponseError as e:
    out["missing_info"] = str(e)

DIM = 8
fields = [
    TextField("content"),
    TagField("tenant"),
    NumericField("year"),
    VectorField("content_vector", "HNSW", {"TYPE": "FLOAT32", "DIM": DIM, "DISTANCE_METRIC": "COSINE"}),
]
r.ft(index).create_index(fields, definition=IndexDefinition(prefix=[prefix], index_type=IndexType.HASH))

random.seed(3)
docs = []
pipe = r.pipeline(transaction=False)
for i in range(300):
    v = [random.gauss(0, 1) for _ in range(DIM)]
    v = list(struct.unpack("<%df" % DIM, struct.pack("<%df" % DIM, *v)))
    tenant = ["acme", "globex", "initech"][i % 3]
    docs.append((f"{prefix}:{i}", v, tenant, 2015 + i % 10))
    pipe.hset(f"{prefix}:{i}", mapping={"content": f"document {i} about {tenant}", "content_vector": struct.pack("<%df" % DIM, *v), "tenant": tenant, "year": 2015 + i % 10})
pipe.execute()
out["num_docs"] = int(r.ft(index).info()["num_docs"])

def cos_dist(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return 1 - dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))

q = [random.gauss(0, 1) for _ in range(DIM)]
qb = struct.pack("<%df" % DIM, *q)

# The store's KNN query with a filter, as _prepare_query builds it.
k = 5
query = (Query("(@tenant:{globex} @year:[2018 2021])=>[KNN %d @content_vector $vector AS distance]" % k)
         .return_fields("content", "tenant", "distance").sort_by("distance").paging(0, k).dialect(2))
res = r.ft(index).search(query, query_params={"vector": qb})
out["knn"] = [[d.id, float(d.distance), d.tenant] for d in res.docs]
want = sorted(((cos_dist(v, q), key) for key, v, t, y in docs if t == "globex" and 2018 <= y <= 2021))[:k]
out["knn_want"] = [[key, dist] for dist, key in want]

# The store's similarity_search_with_relevance_scores / distance_threshold path.
radius = 0.6
rq = (Query("@content_vector:[VECTOR_RANGE $distance_threshold $vector]=>{$yield_distance_as: distance}")
      .return_fields("content", "distance").sort_by("distance").paging(0, 50).dialect(2))
res = r.ft(index).search(rq, query_params={"vector": qb, "distance_threshold": radius})
out["range"] = [[d.id, float(d.distance)] for d in res.docs]
out["range_want"] = [[key, dist] for dist, key in sorted((cos_dist(v, q), key) for key, v, t, y in docs if cos_dist(v, q) <= radius)][:50]

# Deleting documents the way the store does (DEL of the keys), then dropping the index with them.
r.delete(*[key for key, v, t, y in docs[:10]])
out["after_delete"] = int(r.ft(index).info()["num_docs"])
# redis-py 4.3's dropindex(delete_documents=True) sends FT.DROP <index> '' — refused by RediSearch
# 8 as an unrecognized argument, and so here; the store's newer redis-py sends FT.DROPINDEX … DD.
try:
    r.ft(index).dropindex(delete_documents=True)
    out["ft_drop_empty_arg"] = "no error"
except redis.ResponseError as e:
    out["ft_drop_empty_arg"] = str(e)
r.execute_command("FT.DROPINDEX", index, "DD")
out["keys_left"] = len(r.keys(prefix + ":*"))
out["indexes_left"] = [x.decode() for x in r.execute_command("FT._LIST")]
print(json.dumps(out))
`;

describe.skipIf(skipWithout('python3 redis'))('redis-py search API, as langchain_community uses it', () => {
  const server = serverForFile();
  beforeAll(() => requireTool('python3 redis'));

  it('creates, fills, searches (KNN with filters, vector range) and drops an index with exact results', () => {
    const r = spawnSync(PYTHON, ['-c', SCRIPT, String(server().port)], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out.search_ok).toBe(true);
    expect(out.missing_info).toMatch(/Index not found: kb_index_acme/);
    expect(out.num_docs).toBe(300);
    const near = (got: unknown, want: unknown): void => {
      const g = got as Array<[string, number]>;
      const w = want as Array<[string, number]>;
      expect(g.map((x) => x[0])).toEqual(w.map((x) => x[0]));
      g.forEach((x, i) => expect(Math.abs(x[1] - w[i]![1])).toBeLessThan(1e-5));
    };
    expect((out.knn as unknown[]).length).toBe(5);
    for (const hit of out.knn as Array<[string, number, string]>) expect(hit[2]).toBe('globex');
    near(out.knn, out.knn_want);
    expect((out.range as unknown[]).length).toBeGreaterThan(0);
    near(out.range, out.range_want);
    expect(out.after_delete).toBe(290);
    expect(out.ft_drop_empty_arg).toBe('SEARCH_ARG_UNRECOGNIZED Unknown argument');
    expect(out.keys_left).toBe(0);
    expect(out.indexes_left).toEqual([]);
  });
});
