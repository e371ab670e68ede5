// src/query: the server-independent core of the FT.* commands (see README.md).
//
//   const def = parseCreate(argv);                       // FT.CREATE → IndexDefinition
//   const idx = new SecondaryIndex(def);                  // per index
//   idx.add(docId, fields) / idx.remove(docId);           // on HSET/DEL of matching keys
//   const req = parseSearch(argv);                        // FT.SEARCH arguments
//   const q = parseQuery(req.query, def, { params: req.params, noStopwords: req.noStopwords,
//                                          numericFilters: req.numericFilters, geoFilters: req.geoFilters });
//   const docs = idx.evaluate(q.root);                    // DocSet; q.knn for the vector part
//
// Everything that can fail on client input throws QueryError (and nothing else).

export { QueryError, type QueryErrorCode } from './errors.js';
export {
  parseCreate,
  findLanguage,
  type IndexDefinition,
  type FieldSpec,
  type FieldType,
  type TextFieldSpec,
  type TagFieldSpec,
  type NumericFieldSpec,
  type GeoFieldSpec,
  type GeoShapeFieldSpec,
  type VectorFieldSpec,
  type VectorDataType,
  type DistanceMetric,
} from './schema.js';
export { indexInfo, attributeInfo, type InfoValue } from './info.js';
export { parseQuery, type QueryOptions, type NumericFilterOption, type GeoFilterOption } from './query.js';
export type { QueryNode, ParsedQuery, KnnClause, TagMatch, TextFields, VectorSearchOptions } from './ast.js';
export { MAX_KNN_K } from './bind.js';
export { parseSearch, MAX_SEARCH_RESULTS, type SearchRequest, type ReturnField } from './search-args.js';
export { SecondaryIndex, type AddResult, type EvalHooks } from './secondary-index.js';
export { DocSet } from './docset.js';
export { DEFAULT_STOPWORDS } from './tokenizer.js';
