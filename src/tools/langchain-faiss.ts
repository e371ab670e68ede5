/**
 * A LangChain FAISS store as `FAISS.save_local(folder)` leaves it: `index.faiss` (the index, by
 * `faiss.write_index`) and `index.pkl` (`pickle.dump((docstore, index_to_docstore_id))`, where the
 * docstore is an InMemoryDocstore whose `_dict` maps docstore ids to Documents, and the map takes
 * the label FAISS returns for a stored vector — its position, or its IndexIDMap id — to a
 * docstore id). Both files are read and cross-checked completely before anything is sent to a
 * server, so a damaged store is refused whole rather than imported in part.
 */
import buffer from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import { readFaissIndex, type FaissVectors } from './faiss-index.js';
import { PickleError, PyClass, PyDict, PyFloat, PyObject, PySet, PyTuple, unpickle, type PyValue } from './pickle.js';

export class StoreError extends Error {}

export interface StoreDocument {
  /** The docstore id: the element name (vset) or the key suffix (langchain). */
  id: string;
  pageContent: string;
  /** The Document's metadata dict, in its order. */
  metadata: PyDict;
  /** The stored vector (a view into the index's vectors). */
  vector: Float32Array;
}

export interface FaissStore {
  dir: string;
  index: FaissVectors;
  docs: StoreDocument[];
  /** Docstore entries no stored vector points at (LangChain never returns them). */
  orphanDocs: number;
  /** Id-map entries whose label is not in the index. */
  danglingIds: number;
  /** Vectors whose length is not 1 (within 1e-3): they matter for an L2 index, see README. */
  notUnitLength: number;
}

function isClass(v: PyValue, suffix: string): v is PyObject {
  return v instanceof PyObject && v.className.endsWith(`.${suffix}`);
}

/** A Document's fields: pydantic 2 and 1 keep them under '__dict__' in the state, plain objects as the state. */
function documentFields(doc: PyObject, id: string): PyDict {
  const state = doc.state;
  if (!(state instanceof PyDict)) throw new StoreError(`document ${id}: its pickled state is not a dict`);
  const inner = state.get('__dict__');
  if (inner instanceof PyDict) return inner;
  return state;
}

function labelKey(v: PyValue): string | null {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  return null;
}

/** Interprets an unpickled `(docstore, index_to_docstore_id)`. */
function storeContents(root: PyValue, file: string): { docstore: PyDict; idMap: Map<string, string> } {
  if (!(root instanceof PyTuple) || root.items.length !== 2) {
    throw new StoreError(`${file}: expected the pair (docstore, index_to_docstore_id) that FAISS.save_local writes`);
  }
  const [store, ids] = root.items as [PyValue, PyValue];
  if (!isClass(store, 'InMemoryDocstore')) {
    throw new StoreError(`${file}: the docstore is ${store instanceof PyObject ? store.className : describe(store)}, not LangChain's InMemoryDocstore`);
  }
  const state = store.state;
  const dict = state instanceof PyDict ? state.get('_dict') : undefined;
  if (!(dict instanceof PyDict)) throw new StoreError(`${file}: the InMemoryDocstore has no _dict of documents`);
  if (!(ids instanceof PyDict)) throw new StoreError(`${file}: index_to_docstore_id is ${describe(ids)}, not a dict`);
  const idMap = new Map<string, string>();
  for (const [k, v] of ids.entries.values()) {
    const label = labelKey(k);
    if (label === null) throw new StoreError(`${file}: index_to_docstore_id has the key ${describe(k)}, not an integer`);
    if (typeof v !== 'string') throw new StoreError(`${file}: index_to_docstore_id[${label}] is ${describe(v)}, not a str`);
    idMap.set(label, v);
  }
  return { docstore: dict, idMap };
}

export function describe(v: PyValue | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'None';
  if (typeof v === 'string') return 'a str';
  if (typeof v === 'number' || typeof v === 'bigint') return 'an int';
  if (v instanceof PyFloat) return 'a float';
  if (typeof v === 'boolean') return 'a bool';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof PyTuple) return 'a tuple';
  if (v instanceof PyDict) return 'a dict';
  if (v instanceof PySet) return 'a set';
  if (v instanceof PyClass) return `the class ${v.name}`;
  return `an object of ${v.className}`;
}

export interface StoreFiles {
  faiss: string;
  pkl: string;
}

/** `<dir>/<name>.faiss` and `<dir>/<name>.pkl`, the names save_local(folder, index_name) uses. */
export function storeFiles(dir: string, name = 'index'): StoreFiles {
  return { faiss: path.join(dir, `${name}.faiss`), pkl: path.join(dir, `${name}.pkl`) };
}

export function isStoreDir(dir: string, name = 'index'): boolean {
  const f = storeFiles(dir, name);
  return fs.existsSync(f.faiss) && fs.existsSync(f.pkl);
}

/**
 * The whole file, read in pieces: readFileSync stops at 2 GiB, and a store of a million
 * 768-dimensional vectors is 3 GiB. The limit is then a Buffer's (4 GiB on 64-bit Node).
 */
function readFile(file: string): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new StoreError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size > buffer.constants.MAX_LENGTH) throw new StoreError(`${file} is ${size} bytes, more than this Node can hold in one buffer (${buffer.constants.MAX_LENGTH})`);
    const out = Buffer.allocUnsafe(size);
    for (let at = 0; at < size; ) {
      const n = fs.readSync(fd, out, at, Math.min(1 << 30, size - at), at);
      if (n === 0) throw new StoreError(`${file} shrank while it was read`);
      at += n;
    }
    return out;
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw new StoreError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads and cross-checks a whole store; throws StoreError, FaissFormatError or PickleError. */
export function loadStore(dir: string, name = 'index'): FaissStore {
  const files = storeFiles(dir, name);
  const index = readFaissIndex(readFile(files.faiss), files.faiss);
  let root: PyValue;
  try {
    root = unpickle(readFile(files.pkl), files.pkl);
  } catch (e) {
    if (e instanceof PickleError) throw e;
    throw new StoreError(`${files.pkl}: ${(e as Error).message}`);
  }
  const { docstore, idMap } = storeContents(root, files.pkl);
  const docs: StoreDocument[] = [];
  const used = new Set<string>();
  const labels = new Set<string>();
  let notUnitLength = 0;
  for (let p = 0; p < index.count; p++) {
    const label = index.labels !== null ? index.labels[p]!.toString() : String(p);
    labels.add(label);
    const id = idMap.get(label);
    if (id === undefined) throw new StoreError(`${files.pkl}: stored vector ${p} (label ${label}) has no entry in index_to_docstore_id`);
    if (used.has(id)) throw new StoreError(`${files.pkl}: docstore id ${id} is mapped from two stored vectors`);
    used.add(id);
    const doc = docstore.get(id);
    if (!isClass(doc ?? null, 'Document')) throw new StoreError(`${files.pkl}: docstore id ${id} (stored vector ${p}) is ${doc instanceof PyObject ? doc.className : describe(doc)}, not a Document`);
    const fields = documentFields(doc as PyObject, id);
    const content = fields.get('page_content');
    if (typeof content !== 'string') throw new StoreError(`${files.pkl}: document ${id} has page_content ${describe(content)}, not a str`);
    const meta = fields.get('metadata') ?? new PyDict();
    if (!(meta instanceof PyDict)) throw new StoreError(`${files.pkl}: document ${id} has metadata ${describe(meta)}, not a dict`);
    const vector = index.vectors.subarray(p * index.dim, (p + 1) * index.dim);
    let sq = 0;
    for (let i = 0; i < vector.length; i++) sq += vector[i]! * vector[i]!;
    if (Math.abs(Math.sqrt(sq) - 1) > 1e-3) notUnitLength++;
    docs.push({ id, pageContent: content, metadata: meta, vector });
  }
  let danglingIds = 0;
  for (const label of idMap.keys()) if (!labels.has(label)) danglingIds++;
  return { dir, index, docs, orphanDocs: docstore.size - used.size, danglingIds, notUnitLength };
}
