/**
 * The types every sidecar client shares: the transport, a call's result and
 * its failure. A module of their own so that apiRequest (the request and its
 * error decoding) and the typed clients (datasetApi, searchApi, jobApi) import
 * them from here, not from each other.
 */
import { IApiFailure } from './contract';

/** Sends one request; resolves with the response or rejects on network failure. */
export type Transport = (url: string, init: RequestInit) => Promise<Response>;

/** A field the server rejected (google.rpc.BadRequest), in proto names. */
export interface IFieldViolation {
  field: string;
  description: string;
}

/** An API failure with the structured details the dataset routes send. */
export interface IDatasetApiFailure extends IApiFailure {
  /** google.rpc.ErrorInfo reason, e.g. `ALREADY_EXISTS`. */
  reason?: string;
  fieldViolations: IFieldViolation[];
  /** The google.rpc.Status details as sent (e.g. kamld.v1.MergeConflicts). */
  details?: unknown[];
}

export type DatasetResult<T> =
  { ok: true; value: T } | { ok: false; failure: IDatasetApiFailure };
