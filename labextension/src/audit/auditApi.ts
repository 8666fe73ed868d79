/**
 * Typed client for the sidecar's AuditService (proto/kamld/v1/audit.proto):
 * one page of audit records, filtered on the server, for platform admins
 * (docs/security.md, "Audit log").
 *
 * No JupyterLab imports: the transport is handed in, as for datasetApi.
 */
import { JsonRequester, jsonRequester, str, strings } from '../apiRequest';
import type { DatasetResult, Transport } from '../apiTypes';
import { wire } from '../wire';

/** One audited call, as the table shows it. */
export interface IAuditRecord {
  /** RFC 3339. */
  time: string;
  /** Account name; '' when the caller was not known (no or a bad credential). */
  subject: string;
  groups: string[];
  /** "user", "service", "job" or ''. */
  kind: string;
  /** Full gRPC method, or "HTTP <verb> <path>". */
  method: string;
  dataset: string;
  /** Status code name: "OK", "PERMISSION_DENIED", … */
  outcome: string;
  /** ErrorInfo reason of a failed call. */
  reason: string;
  requestId: string;
  clientAddress: string;
}

export interface IAuditPage {
  records: IAuditRecord[];
  nextPageToken: string;
}

/** The server-side filters (empty strings match everything); times are RFC 3339. */
export interface IAuditQuery {
  subject: string;
  dataset: string;
  method: string;
  outcome: string;
  startTime: string;
  endTime: string;
}

/** The outcomes the server accepts as a filter (ListAuditRecordsRequest.outcome). */
export const OUTCOMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED'
];

export function parseAuditRecord(value: unknown): IAuditRecord {
  const r = wire<'v1AuditRecord'>(value);
  return {
    time: str(r.time),
    subject: str(r.subject),
    groups: strings(r.groups),
    kind: str(r.kind),
    method: str(r.method),
    dataset: str(r.dataset),
    outcome: str(r.outcome),
    reason: str(r.reason),
    requestId: str(r.requestId),
    clientAddress: str(r.clientAddress)
  };
}

/** A ListAuditRecords page; `undefined` when the body is not one. */
export function parseAuditPage(value: unknown): IAuditPage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return undefined;
  }
  const body = wire<'v1ListAuditRecordsResponse'>(value);
  // proto3 JSON leaves an empty list out.
  if (body.records !== undefined && !Array.isArray(body.records)) {
    return undefined;
  }
  return {
    records: ((body.records as unknown[] | undefined) ?? []).map(
      parseAuditRecord
    ),
    nextPageToken: str(body.nextPageToken)
  };
}

/** The route of one page: only the filters that are set, in the gateway's JSON names. */
export function auditRoute(
  query: IAuditQuery,
  pageSize: number,
  pageToken = ''
): string {
  const params = new URLSearchParams({ pageSize: String(pageSize) });
  if (pageToken) {
    params.set('pageToken', pageToken);
  }
  for (const [key, value] of Object.entries(query)) {
    if (value) {
      params.set(key, value);
    }
  }
  return `v1/audit/records?${params.toString()}`;
}

export class AuditClient {
  constructor(options: { baseUrl: string; transport: Transport }) {
    this._json = jsonRequester(options.transport, options.baseUrl);
  }

  listRecords(
    query: IAuditQuery,
    pageSize: number,
    pageToken = ''
  ): Promise<DatasetResult<IAuditPage>> {
    return this._json(
      'GET',
      auditRoute(query, pageSize, pageToken),
      undefined,
      parseAuditPage
    );
  }

  private readonly _json: JsonRequester;
}
