/**
 * Contents models of the drive's entries: datasets, refs, folders and files
 * as JupyterLab's file browser and document manager expect them. No
 * JupyterLab runtime imports: jest tests these directly.
 */
import type { Contents } from '@jupyterlab/services';

import type { IDataset, IFileInfo, ISnapshot } from '../datasetApi';
import { baseName, isDraftRef, joinDrivePath } from './drivePath';

/** How JupyterLab opens a path: its content type, format and MIME type (from the document registry). */
export interface IFileKind {
  type: 'file' | 'notebook' | (string & Record<never, never>);
  format: Contents.FileFormat;
  mimetype: string;
}

/** Resolves a file's kind from its path (the plugin asks JupyterLab's document registry). */
export type FileKinds = (path: string, mediaType: string) => IFileKind;

const EPOCH = new Date(0).toISOString();

export function directoryModel(
  path: string,
  writable: boolean,
  time = EPOCH,
  name = baseName(path),
  content: Contents.IModel[] | null = null
): Contents.IModel {
  return {
    name,
    path,
    type: 'directory',
    writable,
    created: time,
    last_modified: time,
    mimetype: '',
    content,
    format: content === null ? null : 'json'
  };
}

export function datasetModel(dataset: IDataset): Contents.IModel {
  return directoryModel(
    dataset.id,
    false,
    dataset.updateTime || EPOCH,
    dataset.id
  );
}

/** A ref of a dataset as a folder named and addressed `iris@v1`. */
export function refModel(
  dataset: string,
  ref: string,
  time = EPOCH
): Contents.IModel {
  const path = joinDrivePath(dataset, ref);
  return directoryModel(path, isDraftRef(ref), time || EPOCH, path);
}

export function snapshotModel(
  dataset: string,
  snapshot: ISnapshot
): Contents.IModel {
  return refModel(dataset, snapshot.version, snapshot.createTime);
}

export function folderModel(
  dataset: string,
  ref: string,
  folder: string
): Contents.IModel {
  return directoryModel(
    joinDrivePath(dataset, ref, folder.replace(/\/$/, '')),
    isDraftRef(ref)
  );
}

export function fileModel(
  dataset: string,
  ref: string,
  file: IFileInfo,
  kinds: FileKinds
): Contents.IModel {
  const kind = kinds(file.path, file.mediaType);
  const time = file.modifyTime || EPOCH;
  return {
    name: baseName(file.path),
    path: joinDrivePath(dataset, ref, file.path),
    type: kind.type,
    writable: isDraftRef(ref),
    created: time,
    last_modified: time,
    mimetype: kind.mimetype || file.mediaType,
    content: null,
    format: null,
    size: file.size,
    hash: file.digest,
    hash_algorithm: 'sha256'
  };
}

/** A file model with its content in the format asked for. */
export function withContent(
  model: Contents.IModel,
  format: Contents.FileFormat,
  content: unknown
): Contents.IModel {
  return { ...model, format, content };
}

/** Bytes as base64, in slices (String.fromCharCode takes a bounded argument list). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

/** The bytes a save stores for a model's content in its format. */
export function contentBytes(
  format: Contents.FileFormat,
  content: unknown
): Uint8Array<ArrayBuffer> {
  if (format === 'base64') {
    return fromBase64(String(content ?? ''));
  }
  if (format === 'json') {
    // nbformat's own layout: one-space indent and a final newline.
    return new TextEncoder().encode(JSON.stringify(content, null, 1) + '\n');
  }
  return new TextEncoder().encode(String(content ?? ''));
}
