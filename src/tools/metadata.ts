/**
 * Document metadata (Python values from the pickle) turned into what each target stores:
 *
 *  - `--target vset`: one JSON attribute per element, `{"page_content": …, <metadata keys>…}`.
 *    The metadata keys sit at the top level because VSIM FILTER selects top-level fields
 *    (`.year > 2020`); the content rides along under LangChain's own name for it. Values convert
 *    as Python's json.dumps would (tuples and sets as arrays, non-string keys as their text),
 *    except NaN and infinities, which JSON cannot hold: those are refused.
 *  - `--target langchain`: hash field values as langchain_community's `_prepare_metadata` and
 *    redis-py's encoder write them: str as is, int as its digits, float as Python's repr(),
 *    None as "", a list or tuple of str joined with ",". Anything else LangChain itself refuses
 *    (its ValueError, or redis-py's DataError for a bool), and so do we, naming the field.
 */
import { PyClass, PyDict, PyFloat, PyObject, PySet, PyTuple, type PyValue } from './pickle.js';
import { StoreError, describe, type StoreDocument } from './langchain-faiss.js';

const MAX_DEPTH = 64;

/** Python's repr() of a float: shortest round-trip digits, ".0" on integral values, exponent from 1e16 and below 1e-4. */
export function pythonFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  // JavaScript's shortest digits are the same as Python's (both round-trip shortest); only the
  // layout differs. Take the digits and exponent from toExponential and lay them out as repr().
  const [mant, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}


function jsonString(s: string): string {
  return JSON.stringify(s);
}

function jsonKey(k: PyValue, where: string): string {
  if (typeof k === 'string') return k;
  if (k === null) return 'null';
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (typeof k === 'bigint') return k.toString();
  if (typeof k === 'number') return String(k);
  if (k instanceof PyFloat) {
    if (!Number.isFinite(k.value)) throw new StoreError(`${where}: a dict key is ${pythonFloatRepr(k.value)}, which JSON cannot hold`);
    return pythonFloatRepr(k.value);
  }
  throw new StoreError(`${where}: a dict key is ${describe(k)}, which JSON cannot hold`);
}

/** JSON text of a Python value, as json.dumps writes it (NaN and infinities refused). */
export function toJson(v: PyValue, where: string, depth = 0): string {
  if (depth > MAX_DEPTH) throw new StoreError(`${where}: nested more than ${MAX_DEPTH} deep (or refers to itself)`);
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return String(v);
  if (v instanceof PyFloat) {
    if (!Number.isFinite(v.value)) throw new StoreError(`${where} is ${pythonFloatRepr(v.value)}, which JSON cannot hold`);
    // json.dumps writes repr(): 3.0 stays 3.0, 1e-05 stays 1e-05 (both valid JSON numbers).
    return pythonFloatRepr(v.value);
  }
  if (typeof v === 'string') return jsonString(v);
  if (Array.isArray(v)) return `[${v.map((x, i) => toJson(x, `${where}[${i}]`, depth + 1)).join(',')}]`;
  if (v instanceof PyTuple || v instanceof PySet) return `[${v.items.map((x, i) => toJson(x, `${where}[${i}]`, depth + 1)).join(',')}]`;
  if (v instanceof PyDict) {
    const parts: string[] = [];
    for (const [k, x] of v.entries.values()) {
      const key = jsonKey(k, where);
      parts.push(`${jsonString(key)}:${toJson(x, `${where}.${key}`, depth + 1)}`);
    }
    return `{${parts.join(',')}}`;
  }
  throw new StoreError(`${where} is ${describe(v)}, which has no JSON form`);
}

/** The JSON attribute of a document's element (`--target vset`). */
export function attributeJson(doc: StoreDocument): string {
  const parts = [`"page_content":${jsonString(doc.pageContent)}`];
  for (const [k, x] of doc.metadata.entries.values()) {
    const key = jsonKey(k, `document ${doc.id} metadata`);
    if (key === 'page_content') throw new StoreError(`document ${doc.id}: its metadata has a key 'page_content', which the attribute uses for the document's text`);
    parts.push(`${jsonString(key)}:${toJson(x, `document ${doc.id} metadata '${key}'`, 1)}`);
  }
  return `{${parts.join(',')}}`;
}

// ---- langchain_community's hash fields ------------------------------------------------------

/** How langchain_community's `_generate_field_schema` classifies a value (from the first document). */
export type FieldKind = 'text' | 'numeric' | 'tag' | 'none';

/** Python's int() over a str: optional sign, digits with single underscores between, spaces around. */
const PY_INT_TEXT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

export function classify(v: PyValue, where: string): FieldKind {
  // `int(value)` succeeds: numeric (ints, floats, bools, and strs that int() parses).
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return 'numeric';
  if (v instanceof PyFloat) {
    // int(nan) raises ValueError (LangChain then tries the other kinds, and fails); int(inf) OverflowError.
    if (!Number.isFinite(v.value)) throw new StoreError(`${where} is ${pythonFloatRepr(v.value)}: LangChain cannot index it (int() of it fails)`);
    return 'numeric';
  }
  if (typeof v === 'string' && PY_INT_TEXT.test(v)) return 'numeric';
  if (v === null) return 'none';
  if (Array.isArray(v) || v instanceof PyTuple) {
    const items = Array.isArray(v) ? v : v.items;
    if (items.length === 0 || typeof items[0] === 'string') return 'tag';
    throw new StoreError(`${where}: LangChain indexes lists of strings only, this one holds ${describe(items[0])}`);
  }
  if (typeof v === 'string') return 'text';
  throw new StoreError(`${where} is ${describe(v)}: LangChain's Redis store cannot index it (use --target vset, whose JSON attributes hold any value)`);
}

/** The hash field value `_prepare_metadata` + redis-py write for a metadata value. */
export function hashValue(v: PyValue, where: string): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return String(v);
  if (v instanceof PyFloat) return pythonFloatRepr(v.value);
  if (typeof v === 'boolean') {
    throw new StoreError(`${where} is a bool, which LangChain's Redis store cannot write (redis-py refuses bools); use --target vset, or store it as 0/1`);
  }
  if (Array.isArray(v) || v instanceof PyTuple) {
    const items = Array.isArray(v) ? v : v.items;
    if (items.length === 0) return '';
    if (typeof items[0] !== 'string') throw new StoreError(`${where}: LangChain writes lists of strings only, this one holds ${describe(items[0])}`);
    return items
      .map((x, i) => {
        if (typeof x !== 'string') throw new StoreError(`${where}[${i}] is ${describe(x)}: LangChain would write Python's text of it; vsetd refuses a mixed list`);
        return x;
      })
      .join(',');
  }
  if (v instanceof PyObject || v instanceof PyClass || v instanceof PyDict || v instanceof PySet || v instanceof Uint8Array) {
    throw new StoreError(`${where} is ${describe(v)}: LangChain's Redis store cannot write it (use --target vset, whose JSON attributes hold any value)`);
  }
  throw new StoreError(`${where} is ${describe(v)}: LangChain's Redis store cannot write it`);
}
