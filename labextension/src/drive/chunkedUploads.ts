/**
 * JupyterLab's file browser saves a big file in numbered chunks (1, 2, …, and
 * -1 for the last). Each chunk goes to an upload session of the server
 * extension (kamld/server/drive_upload.py) that appends it in order, at the
 * offset the browser says it starts at, and commits the assembled file to the
 * draft with its digest on the last chunk: no chunk ever replaces another.
 */
import type { Transport } from '../datasetApi';
import { failureMessage } from './driveErrors';

interface IOpenUpload {
  id: string;
  offset: number;
}

export class ChunkedUploads {
  constructor(baseUrl: string, transport: Transport) {
    this._base = `${baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`}kamld/drive/uploads`;
    this._transport = transport;
  }

  /**
   * Sends chunk `chunk` of the file at `path` of `dataset`'s draft; resolves
   * with the sidecar's FileInfo JSON after the last chunk, else undefined.
   */
  async send(
    dataset: string,
    path: string,
    chunk: number,
    bytes: Uint8Array<ArrayBuffer>
  ): Promise<unknown> {
    const key = `${dataset}\n${path}`;
    let upload = this._open.get(key);
    if (chunk === 1 || !upload) {
      if (chunk !== 1) {
        throw new Error(
          `chunk ${chunk} of ${path} arrived without its first chunk; upload the file again`
        );
      }
      if (upload) {
        void this._cancel(upload.id);
      }
      upload = { id: await this._start(dataset, path), offset: 0 };
      this._open.set(key, upload);
    }
    const url = `${this._base}/${upload.id}?chunk=${chunk}&offset=${upload.offset}`;
    let response: Response;
    try {
      response = await this._transport(url, {
        method: 'PUT',
        body: new Blob([bytes]),
        headers: { 'Content-Type': 'application/octet-stream' }
      });
    } catch (error) {
      this._open.delete(key);
      throw error;
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      this._open.delete(key);
      throw new Error(failureMessage(response, body, path));
    }
    upload.offset += bytes.length;
    if (chunk === -1) {
      this._open.delete(key);
      return body;
    }
    return undefined;
  }

  private async _start(dataset: string, path: string): Promise<string> {
    const response = await this._transport(this._base, {
      method: 'POST',
      body: JSON.stringify({ dataset, path }),
      headers: { 'Content-Type': 'application/json' }
    });
    const body: unknown = await response.json().catch(() => undefined);
    const id = (body as { id?: unknown } | undefined)?.id;
    if (!response.ok || typeof id !== 'string') {
      throw new Error(failureMessage(response, body, path));
    }
    return id;
  }

  private async _cancel(id: string): Promise<void> {
    await this._transport(`${this._base}/${id}`, { method: 'DELETE' }).catch(
      () => undefined
    );
  }

  private readonly _base: string;
  private readonly _transport: Transport;
  private readonly _open = new Map<string, IOpenUpload>();
}
