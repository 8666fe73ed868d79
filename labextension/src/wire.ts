/**
 * The sidecar's JSON seen through the wire types generated from its OpenAPI
 * (gen/kamldApi.ts, `make generate`): a parser may read only the fields the
 * API declares, so a field the server no longer sends fails the type check
 * (and `make check-generate` fails when the generated file is stale). The
 * values stay `unknown`: parsers still check them at run time.
 */
import type { definitions } from './gen/kamldApi';

/** The fields of the API message `K` (e.g. 'v1Dataset'), each of unknown value. */
export type Wire<K extends keyof definitions> = {
  readonly [F in keyof definitions[K]]-?: unknown;
};

/** A JSON object read as message `K` (`{}` when it is not an object). */
export function wire<K extends keyof definitions>(value: unknown): Wire<K> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? value
      : {}
  ) as Wire<K>;
}
