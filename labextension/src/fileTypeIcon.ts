/**
 * The JupyterLab icon of a file by its extension, as in the file browser,
 * and whether the browser itself can show the file (opened in a new tab).
 */
import {
  fileIcon,
  imageIcon,
  jsonIcon,
  LabIcon,
  markdownIcon,
  notebookIcon,
  pdfIcon,
  pythonIcon,
  spreadsheetIcon,
  textEditorIcon,
  yamlIcon
} from '@jupyterlab/ui-components';

const BY_EXTENSION: Record<string, LabIcon> = {
  csv: spreadsheetIcon,
  tsv: spreadsheetIcon,
  parquet: spreadsheetIcon,
  jsonl: spreadsheetIcon,
  ndjson: spreadsheetIcon,
  json: jsonIcon,
  png: imageIcon,
  jpg: imageIcon,
  jpeg: imageIcon,
  gif: imageIcon,
  svg: imageIcon,
  webp: imageIcon,
  md: markdownIcon,
  ipynb: notebookIcon,
  pdf: pdfIcon,
  py: pythonIcon,
  yaml: yamlIcon,
  yml: yamlIcon,
  txt: textEditorIcon,
  log: textEditorIcon
};

/** Files a browser shows by itself (images, PDF, text, JSON). */
const VIEWABLE = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'svg',
  'webp',
  'pdf',
  'txt',
  'json',
  'md',
  'log'
]);

export function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

export function fileTypeIcon(path: string): LabIcon {
  return BY_EXTENSION[extensionOf(path)] ?? fileIcon;
}

export function isViewable(path: string): boolean {
  return VIEWABLE.has(extensionOf(path));
}
