/**
 * FT.INFO: the definition (info.ts) followed by the statistics, in RediSearch 8.8's order
 * (info_command.c). Clients read some of it by position (node-redis 4's FT.INFO transform takes
 * num_docs from the tenth entry), so the order matters as much as the names. Sizes are this
 * process's: vector_index_sz_mb is the graphs' bytes, the rest of RediSearch's inverted-index
 * accounting has no counterpart here and reads 0.
 */
import type { ReplyWriter } from '../server/reply.js';
import type { FtIndex } from './ft-index.js';
import { indexInfo, type InfoValue } from './info.js';

const int = (v: number): InfoValue => ({ t: 'int', v });
const dbl = (v: number): InfoValue => ({ t: 'double', v });
const simple = (v: string): InfoValue => ({ t: 'simple', v });
const map = (v: Array<[string, InfoValue]>): InfoValue => ({ t: 'map', v });

function stats(index: FtIndex): Array<[string, InfoValue]> {
  let vectorBytes = 0;
  for (const iv of index.vectors.values()) vectorBytes += iv.field.engine.memoryUsage();
  const docs = index.size;
  const mb = (b: number): InfoValue => dbl(b / (1024 * 1024));
  const failure = index.lastFailure;
  const errors: Array<[string, InfoValue]> = [
    ['indexing failures', int(index.failures)],
    ['last indexing error', simple(failure?.message ?? 'N/A')],
    ['last indexing error key', simple(failure !== null ? `${failure.key}` : 'N/A')],
    ['background indexing status', simple('OK')],
  ];
  return [
    ['num_docs', int(docs)],
    ['max_doc_id', int(index.maxDocId)],
    ['num_terms', int(index.secondary.numTerms)],
    ['num_records', int(0)],
    ['inverted_sz_mb', mb(0)],
    ['vector_index_sz_mb', mb(vectorBytes)],
    ['total_inverted_index_blocks', int(0)],
    ['offset_vectors_sz_mb', mb(0)],
    ['doc_table_size_mb', mb(0)],
    ['sortable_values_size_mb', mb(0)],
    ['key_table_size_mb', mb(0)],
    ['tag_overhead_sz_mb', mb(0)],
    ['text_overhead_sz_mb', mb(0)],
    ['total_index_memory_sz_mb', mb(vectorBytes)],
    ['geoshapes_sz_mb', mb(0)],
    ['records_per_doc_avg', dbl(docs === 0 ? NaN : 0)],
    ['bytes_per_record_avg', dbl(NaN)],
    ['offsets_per_term_avg', dbl(NaN)],
    ['offset_bits_per_record_avg', dbl(NaN)],
    ['hash_indexing_failures', int(index.failures)],
    ['total_indexing_time', dbl(0)],
    ['indexing', int(0)],
    ['percent_indexed', dbl(1)],
    ['number_of_uses', int(index.uses)],
    ['number_of_admin_ops', int(0)],
    ['cleaning', int(0)],
    [
      'gc_stats',
      map([
        ['bytes_collected', int(0)],
        ['total_ms_run', int(0)],
        ['total_cycles', int(0)],
        ['average_cycle_time_ms', dbl(NaN)],
        ['last_run_time_ms', int(0)],
        ['gc_numeric_trees_missed', int(0)],
        ['gc_blocks_denied', int(0)],
      ]),
    ],
    [
      'cursor_stats',
      map([
        ['global_idle', int(0)],
        ['global_total', int(0)],
        ['index_capacity', int(128)],
        ['index_total', int(0)],
      ]),
    ],
    ['dialect_stats', map(index.dialects.map((n, i) => [`dialect_${i + 1}`, int(n)] as [string, InfoValue]))],
    ['Index Errors', map(errors)],
    [
      'field statistics',
      {
        t: 'array',
        v: index.def.fields.map((f) =>
          map([
            ['identifier', simple(f.path)],
            ['attribute', simple(f.name)],
            ['Index Errors', map(errors.slice(0, 3).map(([k, v]) => [k, k === 'indexing failures' ? int(0) : v.t === 'simple' ? simple('N/A') : v]))],
          ]),
        ),
      },
    ],
  ];
}

/** Doubles as the module prints them in RESP2 (a bulk string, `%g`-like; nan as "nan"). */
function writeValue(w: ReplyWriter, v: InfoValue): void {
  switch (v.t) {
    case 'simple':
      w.simple(v.v);
      return;
    case 'int':
      w.integer(v.v);
      return;
    case 'double':
      if (w.resp3) w.double(v.v);
      else w.bulk(Number.isNaN(v.v) ? 'nan' : String(v.v));
      return;
    case 'array':
      w.array(v.v.length);
      for (const x of v.v) writeValue(w, x);
      return;
    case 'map':
      if (w.resp3) w.map(v.v.length);
      else w.array(v.v.length * 2);
      for (const [k, x] of v.v) {
        w.simple(k);
        writeValue(w, x);
      }
  }
}

export function writeIndexInfo(w: ReplyWriter, index: FtIndex): void {
  writeValue(w, map([...indexInfo(index.def, w.resp3), ...stats(index)]));
}
