// What FT.INFO says about an index definition: index_name, index_options, index_definition and
// attributes, as RediSearch 8.8 writes them (info_command.c), with each value's reply type.
// The caller adds the statistics (num_docs, num_terms, …) and writes the reply: in RESP2 a map
// is a flat array of key, value, … and a field's "flags" are not a key but are appended to the
// field's array as simple strings; in RESP3 they are a "flags" array.

import type { FieldSpec, IndexDefinition } from './schema.js';

export type InfoValue =
  | { readonly t: 'simple'; readonly v: string }
  | { readonly t: 'int'; readonly v: number }
  | { readonly t: 'double'; readonly v: number }
  | { readonly t: 'array'; readonly v: readonly InfoValue[] }
  | { readonly t: 'map'; readonly v: ReadonlyArray<readonly [string, InfoValue]> };

/** Simple strings cannot hold CR/LF; the module escapes them as \r and \n. */
function simple(s: string): InfoValue {
  return { t: 'simple', v: s.replace(/\r/g, '\\r').replace(/\n/g, '\\n') };
}

const TYPE_NAME: Readonly<Record<FieldSpec['type'], string>> = {
  TEXT: 'TEXT', TAG: 'TAG', NUMERIC: 'NUMERIC', GEO: 'GEO', VECTOR: 'VECTOR', GEOSHAPE: 'GEOSHAPE',
};

/** One entry of "attributes". `flags` is what RESP2 appends and RESP3 keys as "flags". */
export function attributeInfo(f: FieldSpec): { entries: Array<[string, InfoValue]>; flags: string[] } {
  const entries: Array<[string, InfoValue]> = [
    ['identifier', simple(f.path)],
    ['attribute', simple(f.name)],
    ['type', simple(TYPE_NAME[f.type])],
  ];
  if (f.type === 'TEXT') entries.push(['WEIGHT', { t: 'double', v: f.weight }]);
  if (f.type === 'TAG') entries.push(['SEPARATOR', simple(f.separator)]);
  if (f.type === 'GEOSHAPE') entries.push(['coord_system', simple(f.coordSystem)]);
  if (f.type === 'VECTOR') {
    entries.push(['algorithm', simple(f.algorithm)], ['data_type', simple(f.dataType)], ['dim', { t: 'int', v: f.dim }]);
    entries.push(['distance_metric', simple(f.metric)]);
    if (f.algorithm === 'HNSW') entries.push(['M', { t: 'int', v: f.m }], ['ef_construction', { t: 'int', v: f.efConstruction }]);
  }
  const flags: string[] = [];
  if (f.type === 'TAG' && f.caseSensitive) flags.push('CASESENSITIVE');
  if (f.sortable) flags.push('SORTABLE');
  if (f.unf) flags.push('UNF');
  if (f.type === 'TEXT' && f.noStem) flags.push('NOSTEM');
  if (f.noIndex) flags.push('NOINDEX');
  if ((f.type === 'TEXT' || f.type === 'TAG') && f.withSuffixTrie) flags.push('WITHSUFFIXTRIE');
  if (f.indexEmpty) flags.push('INDEXEMPTY');
  if (f.indexMissing) flags.push('INDEXMISSING');
  return { entries, flags };
}

/** The head of FT.INFO's reply, in order, as key/value pairs (RESP3 map semantics). */
export function indexInfo(def: IndexDefinition, resp3: boolean): Array<[string, InfoValue]> {
  const options: InfoValue[] = [];
  if (def.noFreqs) options.push(simple('NOFREQS'));
  if (def.noFields) options.push(simple('NOFIELDS'));
  if (def.noOffsets) options.push(simple('NOOFFSETS'));
  if (def.noHighlight) options.push(simple('NOHL'));
  if (def.maxTextFields) options.push(simple('MAXTEXTFIELDS'));

  const definition: Array<[string, InfoValue]> = [['key_type', simple(def.keyType)]];
  definition.push(['prefixes', { t: 'array', v: def.prefixes.map(simple) }]);
  if (def.filter !== null) definition.push(['filter', simple(def.filter)]);
  if (def.language !== 'english') definition.push(['default_language', simple(def.language)]);
  if (def.languageField !== null) definition.push(['language_field', simple(def.languageField)]);
  if (def.score !== 0) definition.push(['default_score', { t: 'double', v: def.score }]);
  if (def.scoreField !== null) definition.push(['score_field', simple(def.scoreField)]);
  if (def.payloadField !== null) definition.push(['payload_field', simple(def.payloadField)]);
  definition.push(['indexes_all', simple(def.indexAll ? 'true' : 'false')]);

  const attributes: InfoValue[] = def.fields.map((f) => {
    const { entries, flags } = attributeInfo(f);
    if (resp3) return { t: 'map', v: [...entries, ['flags', { t: 'array', v: flags.map(simple) }]] };
    // RESP2: the flags follow the key/value pairs in the same array.
    const flat: InfoValue[] = [];
    for (const [k, v] of entries) flat.push(simple(k), v);
    for (const fl of flags) flat.push(simple(fl));
    return { t: 'array', v: flat };
  });

  return [
    ['index_name', simple(def.name)],
    ['index_options', { t: 'array', v: options }],
    ['index_definition', { t: 'map', v: definition }],
    ['attributes', { t: 'array', v: attributes }],
  ];
}
