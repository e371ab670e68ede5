/**
 * The layout `langchain_community.vectorstores.Redis` (libs/community/langchain_community/
 * vectorstores/redis/base.py and schema.py) gives an index, reproduced so that store opens an
 * import unchanged with `Redis.from_existing_index(embedding, index_name, schema, redis_url)`:
 *
 *  - one hash per document at `doc:<index_name>:<id>` (key_prefix `doc:<index_name>`; an id that
 *    already starts with the prefix and a colon is used as the key), written as add_texts does:
 *    `content` (the text), `content_vector` (the vector as float32 bytes), then every metadata
 *    field as `_prepare_metadata` cleans it (metadata.ts);
 *  - the index `_create_index_if_not_exist` creates through redis-py:
 *      FT.CREATE <index_name> ON HASH PREFIX 1 doc:<index_name> SCORE 1.0 SCHEMA
 *        <metadata text fields> content TEXT WEIGHT 1  <tag fields> <numeric fields>
 *        content_vector VECTOR FLAT 6 TYPE FLOAT32 DIM <d> DISTANCE_METRIC <metric>
 *    with the metadata fields generated from the first document's metadata
 *    (`_generate_field_schema`: numeric where int() accepts the value, tag for lists of strings,
 *    text for other strings, None skipped), text fields before the content field that
 *    `add_content_field` appends, in RedisModel's field order (text, tag, numeric, vector).
 *    Each TEXT field carries `WEIGHT 1` (the schema's default of 1, an int), each TAG field
 *    `SEPARATOR ,`, and HNSW adds LangChain's defaults M 16 EF_CONSTRUCTION 200 EF_RUNTIME 10
 *    EPSILON 0.01.
 *
 * The schema also goes out as the YAML that `from_existing_index(schema=…)` reads (as
 * `Redis.write_schema` writes it), because that store cannot find its metadata fields otherwise.
 */
import type { PyValue } from './pickle.js';
import { StoreError, type StoreDocument } from './langchain-faiss.js';
import { classify, hashValue } from './metadata.js';

export type DistanceMetric = 'COSINE' | 'L2' | 'IP';
export type VectorAlgorithm = 'FLAT' | 'HNSW';

export interface LangchainSchema {
  text: string[];
  tag: string[];
  numeric: string[];
  dims: number;
  algorithm: VectorAlgorithm;
  distanceMetric: DistanceMetric;
}

const CONTENT = 'content';
const CONTENT_VECTOR = 'content_vector';

export function keyPrefix(indexName: string): string {
  return `doc:${indexName}`;
}

/** The hash key add_texts uses for a document id. */
export function documentKey(indexName: string, id: string): string {
  const prefix = keyPrefix(indexName);
  return id.startsWith(`${prefix}:`) ? id : `${prefix}:${id}`;
}

/** The schema from_documents generates: metadata fields from the first document. */
export function generateSchema(first: StoreDocument | undefined, dims: number, algorithm: VectorAlgorithm, distanceMetric: DistanceMetric): LangchainSchema {
  const schema: LangchainSchema = { text: [], tag: [], numeric: [], dims, algorithm, distanceMetric };
  if (first !== undefined) {
    for (const [k, v] of first.metadata.entries.values()) {
      const name = metadataKey(k, first.id);
      const kind = classify(v, `document ${first.id} metadata '${name}'`);
      if (kind !== 'none') schema[kind].push(name);
    }
  }
  // add_content_field appends the content field unless a text field of that name exists.
  if (!schema.text.includes(CONTENT)) schema.text.push(CONTENT);
  return schema;
}

function metadataKey(k: PyValue, id: string): string {
  if (typeof k !== 'string') throw new StoreError(`document ${id}: a metadata key is not a str, which LangChain's Redis store cannot write`);
  if (k === CONTENT || k === CONTENT_VECTOR) {
    throw new StoreError(`document ${id}: its metadata has a key '${k}', which would overwrite the document's ${k === CONTENT ? 'text' : 'vector'} in LangChain's hash layout`);
  }
  return k;
}

/** The FT.CREATE redis-py sends for the schema. */
export function ftCreateArgs(indexName: string, s: LangchainSchema): string[] {
  const args = ['FT.CREATE', indexName, 'ON', 'HASH', 'PREFIX', '1', keyPrefix(indexName), 'SCORE', '1.0', 'SCHEMA'];
  for (const f of s.text) args.push(f, 'TEXT', 'WEIGHT', '1');
  for (const f of s.tag) args.push(f, 'TAG', 'SEPARATOR', ',');
  for (const f of s.numeric) args.push(f, 'NUMERIC');
  const attrs = ['TYPE', 'FLOAT32', 'DIM', String(s.dims), 'DISTANCE_METRIC', s.distanceMetric];
  if (s.algorithm === 'HNSW') attrs.push('M', '16', 'EF_CONSTRUCTION', '200', 'EF_RUNTIME', '10', 'EPSILON', '0.01');
  args.push(CONTENT_VECTOR, 'VECTOR', s.algorithm, String(attrs.length), ...attrs);
  return args;
}

/** HSET's field/value pairs for one document, in add_texts's order. */
export function hashFields(doc: StoreDocument): Array<string | Buffer> {
  const vector = Buffer.from(doc.vector.buffer, doc.vector.byteOffset, doc.vector.byteLength);
  const out: Array<string | Buffer> = [CONTENT, doc.pageContent, CONTENT_VECTOR, vector];
  for (const [k, v] of doc.metadata.entries.values()) {
    const name = metadataKey(k, doc.id);
    out.push(name, hashValue(v, `document ${doc.id} metadata '${name}'`));
  }
  return out;
}

function yamlString(s: string): string {
  return JSON.stringify(s);
}

/** The schema as YAML, for `Redis.from_existing_index(..., schema="<file>")`. */
export function schemaYaml(s: LangchainSchema): string {
  const lines: string[] = [];
  const group = (name: string, fields: string[]): void => {
    if (fields.length === 0) return;
    lines.push(`${name}:`);
    for (const f of fields) lines.push(`- name: ${yamlString(f)}`);
  };
  group('text', s.text);
  group('tag', s.tag);
  group('numeric', s.numeric);
  lines.push('vector:', `- name: ${CONTENT_VECTOR}`, `  algorithm: ${s.algorithm}`, `  dims: ${s.dims}`, `  distance_metric: ${s.distanceMetric}`, '  datatype: FLOAT32');
  return `${lines.join('\n')}\n`;
}
