/**
 * quiverdb/client: the HTTP client (api.md, "Client"). Fetch-based, no engine inside; works in browsers
 * and Node.
 */
export { QuiverClient, RemoteCollection, type QuiverClientOptions, type PaperInput, type AddPapersResult, type PapersInfo, type Subscription, type DigestReport } from './client.js';
export { QuiverError, isQuiverError, type ErrorCode, type ErrorCategory } from '../protocol/errors.js';
export type {
  CollectionConfig,
  CollectionInfo,
  CollectionMap,
  MapRequest,
  CollectionStats,
  Hit,
  IncludeField,
  IndexConfig,
  Json,
  Metadata,
  Metric,
  QueryPlan,
  QueryRequest,
  RecordInput,
  StoredRecord,
  UpdateInput,
  VectorInput,
  WriteResult,
} from '../protocol/types.js';
