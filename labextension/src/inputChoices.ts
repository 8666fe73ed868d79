/**
 * What the "Run as job…" dialog offers as inputs: readable datasets, and the immutable refs of one
 * (versions newest first, then tags), as `dataset@ref:/folder` lines. No JupyterLab imports.
 */
import { DatasetClient, MAX_PAGE_SIZE } from './datasetApi';

export interface IInputChoices {
  /** Dataset ids the caller can read, newest first (the first 1,000: the one just made is among them). */
  datasets(): Promise<string[]>;
  /** The refs an input can name: versions newest first, then tags. */
  refs(dataset: string): Promise<string[]>;
}

export function datasetInputChoices(client: DatasetClient): IInputChoices {
  return {
    async datasets() {
      const page = await client.listDatasets(MAX_PAGE_SIZE, undefined, {
        orderBy: 'create_time desc'
      });
      return page.ok ? page.value.items.map(d => d.id) : [];
    },
    async refs(dataset) {
      const page = await client.listSnapshots(dataset, MAX_PAGE_SIZE);
      if (!page.ok) {
        return [];
      }
      const snapshots = [...page.value.items].sort(
        (a, b) => b.sequence - a.sequence
      );
      const tags = snapshots.flatMap(s => s.tags).sort();
      return [...snapshots.map(s => s.version), ...tags];
    }
  };
}

/** The input line for a dataset at a ref, mounted at `folder` ('/data' and 'data' alike). */
export function inputLine(
  dataset: string,
  ref: string,
  folder: string
): string {
  const where = folder.trim().replace(/^\/+|\/+$/g, '') || 'data';
  return `${dataset}@${ref}:/${where}`;
}

/** `text` (the inputs box) with `line` added on a line of its own, unless it is there already. */
export function withInputLine(text: string, line: string): string {
  const lines = text.split('\n').filter(l => l.trim() !== '');
  return lines.includes(line) ? lines.join('\n') : [...lines, line].join('\n');
}
