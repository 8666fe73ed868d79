/**
 * "Add to dataset…": the server extension copies workspace files into a
 * dataset's draft (POST {base_url}kamld/workspace-upload) and answers with
 * newline-delimited JSON progress. Parsing and aggregating that stream is
 * pure logic here (no JupyterLab imports), so jest covers it.
 */

/** Route of the server extension's handler, relative to the base URL. */
export const WORKSPACE_UPLOAD_PATH = 'kamld/workspace-upload';

export interface IWorkspaceUploadRequest {
  /** Workspace-relative files or folders. */
  paths: string[];
  dataset: string;
  /** Folder inside the dataset, "" for its root. */
  prefix: string;
}

/** One NDJSON line of the answer. */
export type UploadEvent =
  | { kind: 'progress'; path: string; sent: number; size: number }
  | { kind: 'done'; path: string; size: number | undefined }
  | { kind: 'error'; path: string; code: number; message: string };

/** Parses one line; undefined for blank or malformed lines. */
export function parseUploadEvent(line: string): UploadEvent | undefined {
  const text = line.trim();
  if (!text) {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const path = record.path;
  if (typeof path !== 'string') {
    return undefined;
  }
  if (typeof record.error === 'object' && record.error !== null) {
    const error = record.error as Record<string, unknown>;
    return {
      kind: 'error',
      path,
      code: typeof error.code === 'number' ? error.code : 2,
      message: typeof error.message === 'string' ? error.message : ''
    };
  }
  if (record.done === true) {
    const file = record.file as Record<string, unknown> | null | undefined;
    const size = file ? Number(file.size) : NaN;
    return {
      kind: 'done',
      path,
      size: Number.isFinite(size) ? size : undefined
    };
  }
  const sent = Number(record.sent);
  const size = Number(record.size);
  if (Number.isFinite(sent) && Number.isFinite(size)) {
    return { kind: 'progress', path, sent, size };
  }
  return undefined;
}

/**
 * Splits a stream of text chunks into lines; `push` returns the complete
 * lines seen so far, `end` whatever is left.
 */
export class LineSplitter {
  push(chunk: string): string[] {
    this._buffer += chunk;
    const lines = this._buffer.split('\n');
    this._buffer = lines.pop() ?? '';
    return lines;
  }

  end(): string[] {
    const rest = this._buffer;
    this._buffer = '';
    return rest ? [rest] : [];
  }

  private _buffer = '';
}

interface IFileState {
  sent: number;
  size: number;
  done: boolean;
  error?: string;
}

/** Totals of an upload as events arrive. */
export class UploadProgress {
  /** Applies one event; returns it for chaining in tests. */
  apply(event: UploadEvent): void {
    const state = this._files.get(event.path) ?? {
      sent: 0,
      size: 0,
      done: false
    };
    switch (event.kind) {
      case 'progress':
        state.sent = event.sent;
        state.size = event.size;
        break;
      case 'done':
        state.done = true;
        if (event.size !== undefined) {
          state.size = event.size;
        }
        state.sent = state.size;
        break;
      case 'error':
        state.error = event.message || `error ${event.code}`;
        break;
    }
    this._files.set(event.path, state);
  }

  /** Feeds one raw NDJSON line. */
  applyLine(line: string): void {
    const event = parseUploadEvent(line);
    if (event) {
      this.apply(event);
    }
  }

  get files(): number {
    return this._files.size;
  }

  get doneFiles(): string[] {
    return [...this._files].filter(([, s]) => s.done).map(([path]) => path);
  }

  get errors(): Array<{ path: string; message: string }> {
    return [...this._files]
      .filter(([, s]) => s.error !== undefined)
      .map(([path, s]) => ({ path, message: s.error ?? '' }));
  }

  get sentBytes(): number {
    let total = 0;
    for (const state of this._files.values()) {
      total += state.sent;
    }
    return total;
  }

  get totalBytes(): number {
    let total = 0;
    for (const state of this._files.values()) {
      total += state.size;
    }
    return total;
  }

  /** 0..1 over the bytes of the files announced so far. */
  get fraction(): number {
    const total = this.totalBytes;
    if (total === 0) {
      return this.files > 0 && this.finishedFiles === this.files ? 1 : 0;
    }
    return Math.min(1, this.sentBytes / total);
  }

  /** Files done or failed. */
  get finishedFiles(): number {
    return [...this._files.values()].filter(
      s => s.done || s.error !== undefined
    ).length;
  }

  private _files = new Map<string, IFileState>();
}

/** Reads a streamed NDJSON body, calling `onLine` for each line as it arrives. */
export async function readLines(
  body: ReadableStream<Uint8Array>,
  onLine: (line: string) => void
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const splitter = new LineSplitter();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    splitter.push(decoder.decode(value, { stream: true })).forEach(onLine);
  }
  splitter.push(decoder.decode()).forEach(onLine);
  splitter.end().forEach(onLine);
}

/** Normalises the target folder typed by the user: no leading "/", a trailing "/" unless empty. */
export function normalisePrefix(folder: string): string {
  const trimmed = folder.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed ? `${trimmed}/` : '';
}
