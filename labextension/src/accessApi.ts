/**
 * Typed client for the sidecar's AccessService (proto/kamld/v1/access.proto):
 * a dataset's policy — owner, visibility, grants — read and replaced with its
 * etag, and the pure edits the sharing dialog makes to it (docs/security.md).
 *
 * No JupyterLab imports: the transport is handed in, as for datasetApi.
 */
import { isObject, JsonRequester, jsonRequester, str } from './apiRequest';
import type { DatasetResult, Transport } from './datasetApi';

export type Visibility = 'private' | 'internal' | 'public';
export type Role = 'reader' | 'writer' | 'admin';
export type GrantKind = 'user' | 'group';

export const VISIBILITIES: Visibility[] = ['private', 'internal', 'public'];
export const ROLES: Role[] = ['reader', 'writer', 'admin'];

export interface IGrant {
  kind: GrantKind;
  name: string;
  role: Role;
}

export interface IAccess {
  owner: string;
  visibility: Visibility;
  grants: IGrant[];
  etag: string;
  /** The caller's own role: only an admin may change the policy. */
  yourRole: Role | '';
}

function oneOf<T extends string>(value: unknown, allowed: T[]): T | undefined {
  return allowed.find(a => a === value);
}

export function parseGrant(value: unknown): IGrant | undefined {
  if (!isObject(value)) {
    return undefined;
  }
  const kind = oneOf<GrantKind>(value.kind, ['user', 'group']);
  const role = oneOf(value.role, ROLES);
  if (!kind || !role || str(value.name) === '') {
    return undefined;
  }
  return { kind, name: str(value.name), role };
}

export function parseAccess(value: unknown): IAccess | undefined {
  if (!isObject(value)) {
    return undefined;
  }
  const visibility = oneOf(value.visibility, VISIBILITIES);
  if (!visibility) {
    return undefined;
  }
  const grants = Array.isArray(value.grants) ? value.grants : [];
  return {
    owner: str(value.owner),
    visibility,
    grants: grants.map(parseGrant).filter((g): g is IGrant => g !== undefined),
    etag: str(value.etag),
    yourRole: oneOf(value.yourRole, ROLES) ?? ''
  };
}

/**
 * The grants with `kind`/`name` given `role`, replacing an existing grant of
 * the same user or group; `role` null removes it.
 */
export function withGrant(
  grants: IGrant[],
  kind: GrantKind,
  name: string,
  role: Role | null
): IGrant[] {
  const others = grants.filter(g => g.kind !== kind || g.name !== name);
  return role ? [...others, { kind, name, role }] : others;
}

export function accessRoute(datasetId: string): string {
  return `v1/datasets/${encodeURIComponent(datasetId)}/access`;
}

export class AccessClient {
  constructor(options: { baseUrl: string; transport: Transport }) {
    this._json = jsonRequester(options.transport, options.baseUrl);
  }

  getAccess(datasetId: string): Promise<DatasetResult<IAccess>> {
    return this._json('GET', accessRoute(datasetId), undefined, parseAccess);
  }

  /** Replaces the policy; a stale etag fails with ABORTED (someone else changed it). */
  setAccess(
    datasetId: string,
    access: Pick<IAccess, 'visibility' | 'grants' | 'etag'>
  ): Promise<DatasetResult<IAccess>> {
    return this._json(
      'PUT',
      accessRoute(datasetId),
      {
        visibility: access.visibility,
        grants: access.grants,
        etag: access.etag
      },
      parseAccess
    );
  }

  private readonly _json: JsonRequester;
}
