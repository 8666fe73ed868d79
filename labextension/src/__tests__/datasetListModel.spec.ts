import { DatasetResult, IDataset, IPage } from '../datasetApi';
import {
  DATASET_PAGE_SIZE,
  DatasetListModel,
  FIRST_PAGE_SIZE
} from '../datasetListModel';
import { makeDataset } from './fixtures';

const dataset = (id: string): IDataset => makeDataset(id);

type Answer = DatasetResult<IPage<IDataset>>;

/** A lister answering from a queue and recording its calls. */
function lister(answers: Answer[]) {
  const calls: Array<[number | undefined, string | undefined]> = [];
  return {
    calls,
    listDatasets: async (pageSize?: number, pageToken?: string) => {
      calls.push([pageSize, pageToken]);
      const answer = answers.shift();
      if (!answer) {
        throw new Error('unexpected call');
      }
      return answer;
    }
  };
}

const page = (ids: string[], nextPageToken = ''): Answer => ({
  ok: true,
  value: { items: ids.map(dataset), nextPageToken }
});

describe('DatasetListModel', () => {
  it('loads page after page with the token of the previous one', async () => {
    const fake = lister([page(['a', 'b'], 't2'), page(['c'])]);
    const model = new DatasetListModel(fake);
    let changes = 0;
    model.changed.connect(() => changes++);

    await model.loadMore();
    expect(model.datasets.map(d => d.id)).toEqual(['a', 'b']);
    expect(model.hasMore).toBe(true);
    await model.loadMore();
    expect(model.datasets.map(d => d.id)).toEqual(['a', 'b', 'c']);
    expect(model.hasMore).toBe(false);
    expect(fake.calls).toEqual([
      [FIRST_PAGE_SIZE, undefined],
      [DATASET_PAGE_SIZE, 't2']
    ]);
    // Loading started and finished, twice.
    expect(changes).toBe(4);

    // Everything loaded: no further request.
    await model.loadMore();
    expect(fake.calls).toHaveLength(2);
  });

  it('does not request the same page twice while one is loading', async () => {
    const fake = lister([page(['a'])]);
    const model = new DatasetListModel(fake);
    const first = model.loadMore();
    expect(model.loading).toBe(true);
    await model.loadMore();
    await first;
    expect(fake.calls).toHaveLength(1);
    expect(model.loading).toBe(false);
  });

  it('keeps what it had and reports the error of a failed page', async () => {
    const fake = lister([
      page(['a'], 't2'),
      {
        ok: false,
        failure: {
          kind: 'network',
          message: 'Failed to fetch',
          fieldViolations: []
        }
      },
      page(['b'])
    ]);
    const model = new DatasetListModel(fake);
    await model.loadMore();
    await model.loadMore();
    expect(model.error).toBe('Failed to fetch');
    expect(model.datasets.map(d => d.id)).toEqual(['a']);
    expect(model.hasMore).toBe(true);
    // A retry asks for the same page again and clears the error.
    await model.loadMore();
    expect(fake.calls[2]).toEqual([DATASET_PAGE_SIZE, 't2']);
    expect(model.error).toBe('');
    expect(model.datasets.map(d => d.id)).toEqual(['a', 'b']);
  });

  it('reloads from the first page and takes in created datasets', async () => {
    const fake = lister([page(['a'], 't2'), page(['x'])]);
    const model = new DatasetListModel(fake);
    await model.loadMore();
    model.upsert(dataset('new'));
    expect(model.datasets.map(d => d.id)).toEqual(['new', 'a']);
    await model.reload();
    expect(fake.calls[1]).toEqual([FIRST_PAGE_SIZE, undefined]);
    expect(model.datasets.map(d => d.id)).toEqual(['x']);
  });

  it('reloads as many as were loaded, and keeps them shown until the answer is in', async () => {
    const many = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `d${from + i}`);
    const fake = lister([
      page(many(0, FIRST_PAGE_SIZE), 't2'),
      page(many(FIRST_PAGE_SIZE, DATASET_PAGE_SIZE), 't3'),
      page(many(0, FIRST_PAGE_SIZE + DATASET_PAGE_SIZE), 't3')
    ]);
    const model = new DatasetListModel(fake);
    await model.loadMore();
    await model.loadMore();
    const reloading = model.reload();
    // Meanwhile the rows the user scrolled through are still there.
    expect(model.datasets).toHaveLength(FIRST_PAGE_SIZE + DATASET_PAGE_SIZE);
    expect(model.loading).toBe(true);
    await reloading;
    expect(fake.calls[2]).toEqual([
      FIRST_PAGE_SIZE + DATASET_PAGE_SIZE,
      undefined
    ]);
    expect(model.datasets).toHaveLength(FIRST_PAGE_SIZE + DATASET_PAGE_SIZE);
    expect(model.hasMore).toBe(true);
  });

  it('reads the list again after a page when a change came while it loaded', async () => {
    const fake = lister([page(['a'], 't2'), page(['a', 'b'], 't2')]);
    const model = new DatasetListModel(fake);
    const first = model.loadMore();
    await model.reload(); // a live change while the first page is on its way
    await first;
    expect(fake.calls).toEqual([
      [FIRST_PAGE_SIZE, undefined],
      [FIRST_PAGE_SIZE, undefined]
    ]);
    expect(model.datasets.map(d => d.id)).toEqual(['a', 'b']);
  });
});
