/**
 * Page loaders of the drive's three kinds of folder: the datasets, a
 * dataset's refs (drafts, branches, tags, versions) and a ref's folders and
 * files, each one server page at a time.
 */
import type { Contents } from '@jupyterlab/services';

import {
  DatasetClient,
  DatasetResult,
  MAX_DATASET_FILTER
} from '../datasetApi';
import { apiError } from './driveErrors';
import {
  datasetModel,
  FileKinds,
  fileModel,
  folderModel,
  refModel,
  snapshotModel
} from './driveModels';
import { IListingPage, PageLoader } from './listingPages';

/** Entries per page: a screenful many times over, one quick answer from the server. */
export const PAGE_SIZE = 500;
const DATASET_PAGE_SIZE = 200;
const SNAPSHOT_PAGE_SIZE = 200;

function value<T>(result: DatasetResult<T>, what: string): T {
  if (!result.ok) {
    throw apiError(result.failure, what);
  }
  return result.value;
}

/** Datasets whose id contains the filter, narrowed by ListDatasets' `filter` on the server. */
export function datasetsLoader(client: DatasetClient): PageLoader {
  return async (token, filter) => {
    if (filter.length > MAX_DATASET_FILTER) {
      return { items: [], nextPageToken: '' }; // longer than any id
    }
    const page = value(
      await client.listDatasets(DATASET_PAGE_SIZE, token || undefined, {
        filter
      }),
      'listing datasets'
    );
    return {
      items: page.items.map(datasetModel),
      nextPageToken: page.nextPageToken
    };
  };
}

/** The refs of a dataset: its draft, other branches (head and draft), tags, then versions newest first. */
export function refsLoader(client: DatasetClient, dataset: string): PageLoader {
  return async (token, filter) => {
    const items: Contents.IModel[] = [];
    if (!token) {
      const info = value(await client.getDataset(dataset), dataset);
      items.push(refModel(dataset, 'draft', info.updateTime));
      const branches = value(await client.listBranches(dataset), dataset);
      for (const branch of branches.items.filter(b => !b.isDefault)) {
        items.push(refModel(dataset, `${branch.id}~draft`, info.updateTime));
        if (branch.headVersion) {
          items.push(refModel(dataset, branch.id));
        }
      }
      const tags = value(await client.listTags(dataset), dataset);
      items.push(...tags.items.map(t => refModel(dataset, t.id, t.createTime)));
    }
    const snapshots = value(
      await client.listSnapshots(
        dataset,
        SNAPSHOT_PAGE_SIZE,
        token || undefined
      ),
      dataset
    );
    items.push(...snapshots.items.map(s => snapshotModel(dataset, s)));
    const wanted = filter.toLowerCase();
    return {
      items: items.filter(m => m.name.toLowerCase().includes(wanted)),
      nextPageToken: snapshots.nextPageToken
    };
  };
}

/** A folder of a ref, narrowed by name on the server. */
export function folderLoader(
  client: DatasetClient,
  kinds: FileKinds,
  dataset: string,
  ref: string,
  path: string
): PageLoader {
  return async (token, filter): Promise<IListingPage> => {
    const listing = value(
      await client.listFiles(dataset, {
        ref,
        prefix: path ? `${path}/` : '',
        pageSize: PAGE_SIZE,
        pageToken: token || undefined,
        filter: filter || undefined
      }),
      `${dataset}@${ref}/${path}`
    );
    return {
      items: [
        ...listing.folders.map(f => folderModel(dataset, ref, f)),
        ...listing.files.map(f => fileModel(dataset, ref, f, kinds))
      ],
      nextPageToken: listing.nextPageToken
    };
  };
}
