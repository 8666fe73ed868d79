/**
 * The file routes the drive needs beyond DatasetClient's JSON ones: stat,
 * raw reads and writes of bytes, and deletes (proto/kamld/v1/file.proto),
 * through Jupyter's proxy. Failures become Errors with the sidecar's message.
 */
import { proxiedUrl, requestJson } from '../apiRequest';
import { IFileInfo, parseFileInfo, routes, Transport } from '../datasetApi';
import { apiError, failureMessage } from './driveErrors';

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** gRPC NOT_FOUND, as the Status body carries it. */
const NOT_FOUND = 5;

export class DriveFiles {
  constructor(baseUrl: string, transport: Transport) {
    this.baseUrl = baseUrl;
    this._transport = transport;
  }

  readonly baseUrl: string;

  /** The file at `path` of a ref, or undefined when there is none (it may be a folder). */
  async stat(
    dataset: string,
    ref: string,
    path: string
  ): Promise<IFileInfo | undefined> {
    const route = `v1/datasets/${encodeURIComponent(dataset)}/files/${encodePath(path)}?ref=${encodeURIComponent(ref)}`;
    const result = await requestJson(
      this._transport,
      this.baseUrl,
      'GET',
      route,
      undefined,
      parseFileInfo
    );
    if (result.ok) {
      return result.value;
    }
    if (result.failure.grpcCode === NOT_FOUND) {
      return undefined;
    }
    throw apiError(result.failure, `${dataset}@${ref}/${path}`);
  }

  /** URL of a file's bytes at a ref (through the proxy; Jupyter's credentials apply). */
  contentUrl(dataset: string, ref: string, path: string): string {
    return proxiedUrl(this.baseUrl, routes.content(dataset, path, ref));
  }

  async read(dataset: string, ref: string, path: string): Promise<Response> {
    const response = await this._transport(
      this.contentUrl(dataset, ref, path),
      { method: 'GET', cache: 'no-cache' }
    );
    if (!response.ok) {
      const body: unknown = await response.json().catch(() => undefined);
      throw new Error(
        failureMessage(response, body, `${dataset}@${ref}/${path}`)
      );
    }
    return response;
  }

  /**
   * Writes bytes to `path` of the draft of `scoped` (`iris` or `iris@exp`).
   * With `createOnly`, resolves undefined when the path exists already.
   */
  async write(
    scoped: string,
    path: string,
    body: Blob | Uint8Array<ArrayBuffer>,
    createOnly = false
  ): Promise<IFileInfo | undefined> {
    const url = proxiedUrl(
      this.baseUrl,
      routes.content(scoped, path) + (createOnly ? '?create_only=true' : '')
    );
    const response = await this._transport(url, {
      method: 'PUT',
      body: body instanceof Blob ? body : new Blob([body]),
      headers: { 'Content-Type': 'application/octet-stream' }
    });
    const payload: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const what = `saving ${scoped}/${path}`;
      if (createOnly && response.status === 409) {
        return undefined;
      }
      throw new Error(failureMessage(response, payload, what));
    }
    const info = parseFileInfo(payload);
    if (!info) {
      throw new Error(`saving ${scoped}/${path}: the answer is not a file`);
    }
    return info;
  }

  /** Removes a file, or with `recursive` a folder, from the draft of `scoped`. */
  async remove(
    scoped: string,
    path: string,
    recursive: boolean
  ): Promise<void> {
    const route = `v1/datasets/${encodeURIComponent(scoped)}/files/${encodePath(path)}${recursive ? '?recursive=true' : ''}`;
    const result = await requestJson(
      this._transport,
      this.baseUrl,
      'DELETE',
      route,
      undefined,
      () => ({})
    );
    if (!result.ok) {
      throw apiError(result.failure, `deleting ${scoped}/${path}`);
    }
  }

  private readonly _transport: Transport;
}
