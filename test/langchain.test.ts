/**
 * LangChain.js's Redis vector store (@langchain/redis with @langchain/core, on the node-redis 4
 * client it depends on) against a started vsetd, unchanged: it stores documents as hashes and
 * searches through FT.CREATE / FT.INFO / FT.SEARCH (issue 15). Embeddings come from a
 * deterministic fake (no network); every search result is compared with an exact search computed
 * here over the same vectors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embeddings } from '@langchain/core/embeddings';
import { Document } from '@langchain/core/documents';
import { RedisVectorStore } from '@langchain/redis';
// The client the store is built for (its own dependency), as a LangChain user installs it.
import { createClient } from '../node_modules/@langchain/redis/node_modules/redis/dist/index.js';
import { serverForFile } from './helpers/server.js';

const DIM = 16;

/** Words hashed into a fixed-size bag, so that documents sharing words are near. */
function embed(text: string): number[] {
  const v = new Array<number>(DIM).fill(0.01);
  for (const w of text.toLowerCase().split(/\W+/).filter(Boolean)) {
    let h = 2166136261;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619) >>> 0;
    v[h % DIM] += 1;
    v[(h >>> 8) % DIM] += 0.5;
  }
  return v;
}

class WordEmbeddings extends Embeddings {
  constructor() {
    super({});
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map(embed);
  }
  async embedQuery(text: string): Promise<number[]> {
    return embed(text);
  }
}

function cosineDistance(a: number[], b: number[]): number {
  const fa = Float32Array.from(a);
  const fb = Float32Array.from(b);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < DIM; i++) {
    dot += fa[i]! * fb[i]!;
    na += fa[i]! * fa[i]!;
    nb += fb[i]! * fb[i]!;
  }
  return 1 - dot / Math.sqrt(na * nb);
}

const WORDS = ['vector', 'redis', 'tenant', 'graph', 'search', 'memory', 'index', 'replica', 'snapshot', 'filter', 'query', 'latency'];
const TENANTS = ['acme', 'globex', 'initech'];

function corpus(n: number): Document[] {
  let s = 7;
  const r = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % 1000) / 1000;
  const docs: Document[] = [];
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 3 + Math.floor(r() * 5) }, () => WORDS[Math.floor(r() * WORDS.length)]!);
    const tenant = TENANTS[i % 3]!;
    docs.push(new Document({ pageContent: `doc ${i}: ${words.join(' ')}`, metadata: { tenant, topic: `notes of ${tenant} team`, year: 2018 + (i % 7), n: i } }));
  }
  return docs;
}

/** The k nearest documents by exact cosine distance, among those `keep` accepts. */
function exact(docs: Document[], query: string, k: number, keep: (d: Document) => boolean = () => true): Array<{ content: string; distance: number }> {
  const q = embed(query);
  return docs
    .filter(keep)
    .map((d) => ({ content: d.pageContent, distance: cosineDistance(embed(d.pageContent), q) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);
}

describe('@langchain/redis RedisVectorStore against vsetd', () => {
  const server = serverForFile();
  let client: ReturnType<typeof createClient>;
  const docs = corpus(60);

  beforeAll(async () => {
    client = createClient({ url: `redis://127.0.0.1:${server().port}` });
    await client.connect();
  });

  afterAll(async () => {
    await client?.quit();
  });

  it('fromDocuments, similaritySearch and similaritySearchWithScore equal an exact search', async () => {
    const store = await RedisVectorStore.fromDocuments(docs, new WordEmbeddings(), { redisClient: client as never, indexName: 'kb_index_acme' });
    const info = await client.ft.info('kb_index_acme');
    expect(Number(info.numDocs)).toBe(docs.length);
    for (const query of ['vector search latency', 'redis replica snapshot', 'tenant memory index graph']) {
      const want = exact(docs, query, 5);
      const got = await store.similaritySearchWithScore(query, 5);
      expect(got.map(([d]) => d.pageContent)).toEqual(want.map((w) => w.content));
      got.forEach(([, score], i) => expect(Math.abs(score - want[i]!.distance)).toBeLessThan(1e-5));
      const plain = await store.similaritySearch(query, 3);
      expect(plain.map((d) => d.pageContent)).toEqual(want.slice(0, 3).map((w) => w.content));
      // Metadata comes back as stored.
      const first = docs.find((d) => d.pageContent === plain[0]!.pageContent)!;
      expect(plain[0]!.metadata).toEqual(first.metadata);
    }
  });

  it('a metadata filter (the store matches it as text in the metadata JSON)', async () => {
    // The store keeps metadata as escaped JSON in a TEXT field and filters with @metadata:(a|b).
    // Escaped characters stay inside a token (RediSearch's tokenizer), so `\"tenant\"\:\"globex\"`
    // is one token: only words with separators on both sides inside a value (the topic's middle
    // word) can match — the same as against Redis.
    const store = new RedisVectorStore(new WordEmbeddings(), { redisClient: client as never, indexName: 'kb_index_acme' });
    const got = await store.similaritySearchWithScore('graph filter query', 4, ['globex']);
    const want = exact(docs, 'graph filter query', 4, (d) => d.metadata.tenant === 'globex');
    expect(got.map(([d]) => d.pageContent)).toEqual(want.map((w) => w.content));
    for (const [d] of got) expect(d.metadata.tenant).toBe('globex');
    const either = await store.similaritySearch('graph filter query', 6, ['globex', 'initech']);
    expect(either.map((d) => d.pageContent)).toEqual(exact(docs, 'graph filter query', 6, (d) => d.metadata.tenant !== 'acme').map((w) => w.content));
    expect(await store.similaritySearch('graph filter query', 4, ['nobody'])).toEqual([]);
  });

  it('a custom schema indexes TAG and NUMERIC metadata; its dotted field names in queries are a syntax error, as in RediSearch', async () => {
    const store = await RedisVectorStore.fromDocuments(docs, new WordEmbeddings(), {
      redisClient: client as never,
      indexName: 'kb_index_custom',
      customSchema: { tenant: { type: 'TAG' }, year: { type: 'NUMERIC', SORTABLE: true } },
    } as never);
    // The store queries `@metadata.tenant:{…}`: the query lexer ends a field name at the '.'
    // (punctuation), so RediSearch answers a syntax error, and so does vsetd.
    const query = await new WordEmbeddings().embedQuery('index replica memory');
    await expect(store.similaritySearchVectorWithScoreAndMetadata(query, 5, { tenant: 'initech' })).rejects.toThrow(/^SEARCH_SYNTAX Syntax error at offset 10 near tenant$/);
    // The fields are indexed all the same: the same filter with the field name escaped.
    const vector = Buffer.from(Float32Array.from(query).buffer);
    const res = await client.ft.search('kb_index_custom', '(@metadata\\.tenant:{initech} @metadata\\.year:[2020 2022])=>[KNN 5 @content_vector $v AS vector_score]', {
      PARAMS: { v: vector },
      RETURN: ['content', 'vector_score'],
      SORTBY: 'vector_score',
      DIALECT: 2,
    });
    const want = exact(docs, 'index replica memory', 5, (d) => d.metadata.tenant === 'initech' && d.metadata.year >= 2020 && d.metadata.year <= 2022);
    expect(want.length).toBeGreaterThan(0);
    expect(res.total).toBe(want.length);
    expect(res.documents.map((d) => d.value.content)).toEqual(want.map((w) => w.content));
    res.documents.forEach((d, i) => expect(Math.abs(Number(d.value.vector_score) - want[i]!.distance)).toBeLessThan(1e-5));
  });

  it('delete by ids removes documents from the results; deleteAll drops the index and its documents', async () => {
    const store = new RedisVectorStore(new WordEmbeddings(), { redisClient: client as never, indexName: 'kb_index_acme' });
    const query = 'vector search latency';
    const before = await store.similaritySearch(query, 3);
    // The store's keys are `doc:<index>:<n>` in insertion order.
    const victim = docs.findIndex((d) => d.pageContent === before[0]!.pageContent);
    await store.delete({ ids: [String(victim)] });
    const after = await store.similaritySearch(query, 3);
    expect(after.map((d) => d.pageContent)).toEqual(exact(docs, query, 3, (d) => d !== docs[victim]).map((w) => w.content));
    expect(Number((await client.ft.info('kb_index_acme')).numDocs)).toBe(docs.length - 1);

    await store.delete({ deleteAll: true });
    expect(await store.checkIndexExists()).toBe(false);
    expect(await client.keys('doc:kb_index_acme:*')).toEqual([]);
    // The other index is untouched.
    expect(Number((await client.ft.info('kb_index_custom')).numDocs)).toBe(docs.length);
  });
});
