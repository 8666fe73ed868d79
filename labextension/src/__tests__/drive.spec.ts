import type { Contents } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

import { CommandIds } from '../commandIds';
import { DriveCommandIds } from '../drive/driveCommandIds';
import {
  contentBytes,
  fileModel,
  fromBase64,
  refModel,
  toBase64
} from '../drive/driveModels';
import {
  dirName,
  isDraftRef,
  loadCode,
  parseDrivePath,
  readOnlyMessage,
  scopedDataset
} from '../drive/drivePath';
import { withSuffix } from '../drive/driveWrites';
import { followWrites } from '../drive/followWrites';
import { IListingPage, ListingPages } from '../drive/listingPages';
import { enterCode, versionNotebookPath } from '../drive/versionNotebook';

describe('drive paths', () => {
  it('are datasets, refs and paths inside refs', () => {
    expect(parseDrivePath('')).toEqual({ kind: 'root' });
    expect(parseDrivePath('/iris/')).toEqual({
      kind: 'dataset',
      dataset: 'iris'
    });
    expect(parseDrivePath('iris@v1')).toEqual({
      kind: 'ref',
      dataset: 'iris',
      ref: 'v1',
      path: ''
    });
    expect(parseDrivePath('iris@exp~draft/data/train.csv')).toEqual({
      kind: 'ref',
      dataset: 'iris',
      ref: 'exp~draft',
      path: 'data/train.csv'
    });
  });

  it('name the ref a file is in, or say what is wrong', () => {
    expect(() => parseDrivePath('iris/train.csv')).toThrow(/iris@draft/);
    expect(() => parseDrivePath('iris@/a')).toThrow(/empty ref/);
  });

  it('write only into drafts, under the branch-scoped name', () => {
    expect(isDraftRef('draft')).toBe(true);
    expect(isDraftRef('exp~draft')).toBe(true);
    expect(isDraftRef('v1')).toBe(false);
    expect(isDraftRef('prod')).toBe(false);
    expect(scopedDataset('iris', 'draft')).toBe('iris');
    expect(scopedDataset('iris', 'exp~draft')).toBe('iris@exp');
    expect(readOnlyMessage('iris', 'v1')).toMatch(
      /iris@v1 is a recorded version and is read-only.*iris@draft/
    );
  });

  it('are what the kernel loads, as they are', () => {
    expect(loadCode('kamld:iris@v1/iris.csv')).toContain(
      'kamld.load("kamld:iris@v1/iris.csv")'
    );
    expect(dirName('iris@draft/a/b.csv')).toBe('iris@draft/a');
    expect(dirName('iris@draft')).toBe('');
  });
});

describe('drive models', () => {
  const kinds = (path: string) =>
    path.endsWith('.ipynb')
      ? { type: 'notebook', format: 'json' as const, mimetype: '' }
      : { type: 'file', format: 'text' as const, mimetype: 'text/csv' };
  const info = {
    path: 'data/a.csv',
    size: 12,
    digest: 'sha256:00',
    mediaType: 'text/csv',
    modifyTime: '2026-01-01T00:00:00Z'
  };

  it('are writable in a draft only, with size and time', () => {
    const draft = fileModel('iris', 'draft', info, kinds);
    expect(draft).toMatchObject({
      name: 'a.csv',
      path: 'iris@draft/data/a.csv',
      writable: true,
      size: 12,
      last_modified: '2026-01-01T00:00:00Z',
      mimetype: 'text/csv'
    });
    expect(fileModel('iris', 'v1', info, kinds).writable).toBe(false);
    expect(refModel('iris', 'v1')).toMatchObject({
      name: 'iris@v1',
      path: 'iris@v1',
      type: 'directory',
      writable: false
    });
  });

  it('carry text, base64 and JSON content', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    expect(new TextDecoder().decode(contentBytes('text', 'a,b\n'))).toBe(
      'a,b\n'
    );
    expect(contentBytes('base64', toBase64(bytes))).toEqual(bytes);
    expect(new TextDecoder().decode(contentBytes('json', { cells: [] }))).toBe(
      '{\n "cells": []\n}\n'
    );
    expect(withSuffix('a.csv', '-Copy1')).toBe('a-Copy1.csv');
    expect(withSuffix('README', '-Copy1')).toBe('README-Copy1');
  });
});

describe('listing pages', () => {
  const model = (name: string) => ({ name }) as Contents.IModel;
  /** 5 items, 2 a page, filtered by substring: the server's part, in memory. */
  const calls: string[] = [];
  const load = async (token: string, filter: string): Promise<IListingPage> => {
    calls.push(`${token}|${filter}`);
    const all = ['a1', 'a2', 'b1', 'b2', 'a3'].filter(n => n.includes(filter));
    const start = token ? Number(token) : 0;
    return {
      items: all.slice(start, start + 2).map(model),
      nextPageToken: start + 2 < all.length ? String(start + 2) : ''
    };
  };

  it('load the first page once, then one page at a time', async () => {
    calls.length = 0;
    const pages = new ListingPages();
    expect((await pages.items('d', load)).map(m => m.name)).toEqual([
      'a1',
      'a2'
    ]);
    await pages.items('d', load);
    expect(calls).toEqual(['|']);
    expect(pages.hasMore('d')).toBe(true);
    expect(await pages.more('d', load)).toBe(true);
    expect(await pages.more('d', load)).toBe(true);
    expect((await pages.items('d', load)).map(m => m.name)).toEqual([
      'a1',
      'a2',
      'b1',
      'b2',
      'a3'
    ]);
    expect(pages.hasMore('d')).toBe(false);
    expect(await pages.more('d', load)).toBe(false);
  });

  it('narrow on the server and start again with a filter', async () => {
    calls.length = 0;
    const pages = new ListingPages();
    await pages.items('d', load);
    pages.setFilter('d', 'a');
    expect(pages.filter('d')).toBe('a');
    expect((await pages.items('d', load)).map(m => m.name)).toEqual([
      'a1',
      'a2'
    ]);
    await pages.more('d', load);
    expect(calls).toEqual(['|', '|a', '2|a']);
    pages.invalidate('d');
    await pages.items('d', load);
    expect(calls[calls.length - 1]).toBe('|a');
  });

  it('do not keep a page that a write overtook on its way', async () => {
    let files = ['cities.csv', 'big.bin'];
    let release: () => void = () => undefined;
    const slow = async (): Promise<IListingPage> => {
      const seen = files.map(model);
      await new Promise<void>(resolve => (release = resolve));
      return { items: seen, nextPageToken: '' };
    };
    const pages = new ListingPages();
    const stale = pages.items('d', slow);
    files = ['big.bin']; // the delete lands while the listing is in flight
    pages.invalidate('d');
    release();
    expect((await stale).map(m => m.name)).toEqual(['cities.csv', 'big.bin']);
    const fresh = pages.items('d', slow);
    release();
    expect((await fresh).map(m => m.name)).toEqual(['big.bin']);
  });
});

describe('the open folder after a write', () => {
  it('is listed again until the listing shown began after the write', async () => {
    let files = ['cities.csv', 'big.bin'];
    let release: () => void = () => undefined;
    const load = async (): Promise<IListingPage> => {
      const seen = files.map(name => ({ name }) as Contents.IModel);
      await new Promise<void>(resolve => (release = resolve));
      return { items: seen, nextPageToken: '' };
    };
    const drive = {
      fileChanged: new Signal<unknown, Contents.IChangedArgs>({}),
      pages: new ListingPages()
    };
    let shown: string[] = [];
    let inFlight: Promise<void> | null = null;
    // Like FileBrowserModel.cd('.'): a call while a listing is on its way gets that listing.
    const relist = (): Promise<void> =>
      (inFlight ??= drive.pages.items('ds@draft', load).then(items => {
        shown = items.map(m => m.name);
        inFlight = null;
      }));
    followWrites(drive, () => 'ds@draft', relist);

    const poll = relist(); // a poll lists the folder, and the delete lands meanwhile
    files = ['big.bin'];
    drive.pages.invalidate('ds@draft');
    drive.fileChanged.emit({
      type: 'delete',
      oldValue: { path: 'ds@draft/cities.csv' },
      newValue: null
    });
    release();
    await poll;
    expect(shown).toEqual(['cities.csv', 'big.bin']); // the stale listing
    await new Promise(resolve => setTimeout(resolve, 0));
    release();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(shown).toEqual(['big.bin']);
  });

  it('is left alone by a write elsewhere', async () => {
    const drive = {
      fileChanged: new Signal<unknown, Contents.IChangedArgs>({}),
      pages: new ListingPages()
    };
    let relists = 0;
    followWrites(
      drive,
      () => 'ds@draft',
      async () => {
        relists++;
      }
    );
    drive.fileChanged.emit({
      type: 'new',
      oldValue: null,
      newValue: { path: 'ds@draft/sub/a.csv' }
    });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(relists).toBe(0);
  });
});

describe('drive commands', () => {
  it('are namespaced kamld: and distinct from the workbench ones', () => {
    const workbench: string[] = Object.values(CommandIds);
    for (const id of Object.values(DriveCommandIds)) {
      expect(id).toMatch(/^kamld:drive(-[a-z]+)*$/);
      expect(workbench).not.toContain(id);
    }
  });
});

describe('kernels of version notebooks', () => {
  it('are those of notebooks in a version or tag of the drive', () => {
    expect(versionNotebookPath('kamld:iris@v1/analysis.ipynb')).toBe(
      'kamld:iris@v1/analysis.ipynb'
    );
    expect(versionNotebookPath('kamld:iris@prod/a/b.ipynb')).toBe(
      'kamld:iris@prod/a/b.ipynb'
    );
    expect(versionNotebookPath('kamld:iris@draft/a.ipynb')).toBeNull();
    expect(versionNotebookPath('kamld:iris@exp~draft/a.ipynb')).toBeNull();
    expect(versionNotebookPath('work/a.ipynb')).toBeNull();
    expect(versionNotebookPath('kamld:iris')).toBeNull();
    expect(versionNotebookPath('kamld:iris@')).toBeNull();
  });

  it('run one silent line that names no variable', () => {
    expect(enterCode('kamld:iris@v1/a "b".ipynb')).toBe(
      '__import__("kamld.workdir").workdir.enter("kamld:iris@v1/a \\"b\\".ipynb")'
    );
  });
});
