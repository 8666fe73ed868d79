import {
  DatasetResult,
  IDataset,
  IListDatasetsOptions,
  IPage
} from '../datasetApi';
import { DatasetBrowserModel } from '../datasetBrowserModel';
import { DatasetListModel } from '../datasetListModel';
import { makeDataset } from './fixtures';
import { ISearchPage, ISearchRequest } from '../searchApi';
import { SEARCH_PAGE_SIZE, SearchModel } from '../searchModel';

const dataset = (id: string): IDataset =>
  makeDataset(id, { description: `about ${id}` });

/** A ListDatasets fake: every call answers with the ids `pages` gives for its access filter. */
function lister(pages: (options?: IListDatasetsOptions) => string[]) {
  const calls: Array<IListDatasetsOptions | undefined> = [];
  return {
    calls,
    listDatasets: async (
      _size?: number,
      _token?: string,
      options?: IListDatasetsOptions
    ): Promise<DatasetResult<IPage<IDataset>>> => {
      calls.push(options);
      return {
        ok: true,
        value: { items: pages(options).map(dataset), nextPageToken: '' }
      };
    }
  };
}

/** A SearchDatasets fake: each result's description fragment marks the query. */
function searcher(ids: string[]) {
  const calls: ISearchRequest[] = [];
  return {
    calls,
    search: async (
      request: ISearchRequest
    ): Promise<DatasetResult<ISearchPage>> => {
      calls.push(request);
      return {
        ok: true,
        value: {
          results: ids.map(id => ({
            dataset: dataset(id),
            score: 1,
            highlights: [
              { field: 'name', fragments: [`<mark>${id}</mark>`] },
              { field: 'description', fragments: [`about <mark>${id}</mark>`] }
            ]
          })),
          facets: [{ field: 'tag', values: [{ value: 'weather', count: 2 }] }],
          totalSize: ids.length,
          nextPageToken: ''
        }
      };
    }
  };
}

function browser(
  listed = lister(() => ['a', 'b', 'c']),
  found = searcher(['b'])
) {
  const model = new DatasetBrowserModel(
    new DatasetListModel(listed),
    new SearchModel(found)
  );
  return { model, listed, found };
}

const ids = (model: DatasetBrowserModel) => model.rows.map(r => r.dataset.id);

describe('DatasetBrowserModel', () => {
  it('is the full list with an empty query and the search results with one', async () => {
    const { model, found } = browser();
    await model.list.loadMore();
    expect(model.searching).toBe(false);
    expect(ids(model)).toEqual(['a', 'b', 'c']);
    expect(model.rows[0].fragment).toBe('');

    model.setText('b', true);
    await Promise.resolve();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(model.searching).toBe(true);
    expect(found.calls[0].query).toBe('b');
    expect(ids(model)).toEqual(['b']);
    expect(model.rows[0].fragment).toBe('about <mark>b</mark>');

    model.setText('', true);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(model.searching).toBe(false);
    expect(ids(model)).toEqual(['a', 'b', 'c']);
    model.dispose();
  });

  it('a picked facet value turns the list into results too', async () => {
    const { model, found } = browser();
    await model.list.loadMore();
    await model.search.toggle('tag', 'weather');
    expect(model.searching).toBe(true);
    expect(found.calls[0].query).toBe('tag:weather');
    expect(ids(model)).toEqual(['b']);
    model.dispose();
  });

  it('lists again from the first page with the access filter', async () => {
    const listed = lister(options =>
      options?.access === 'mine' ? ['mine-1'] : ['a', 'mine-1']
    );
    const { model } = browser(listed);
    await model.list.loadMore();
    await model.setAccess('mine');
    expect(model.access).toBe('mine');
    expect(listed.calls).toEqual([undefined, { access: 'mine' }]);
    expect(ids(model)).toEqual(['mine-1']);
    model.dispose();
  });

  it('refreshes a search with as many results as were loaded', async () => {
    const many = Array.from({ length: 120 }, (_, i) => `r${i}`);
    const { model, found } = browser(undefined, searcher(many));
    await model.search.toggle('tag', 'weather');
    expect(found.calls[0].pageSize).toBe(SEARCH_PAGE_SIZE);
    await model.search.refresh(); // a live change: the 120 rows loaded stay
    expect(found.calls[1].pageSize).toBe(120);
    expect(found.calls[1].pageToken).toBe('');
    expect(found.calls[1].query).toBe('tag:weather');
    expect(ids(model)).toHaveLength(120);
    model.dispose();
  });

  it('moves the active row with the keyboard, clamped to the list', async () => {
    const { model } = browser(lister(() => ['a', 'b', 'c', 'd']));
    await model.list.loadMore();
    expect(model.activeId).toBe('');
    expect(model.move(1)).toBe(0);
    expect(model.activeId).toBe('a');
    expect(model.move(1)).toBe(1);
    expect(model.move(10)).toBe(3);
    expect(model.activeId).toBe('d');
    expect(model.move(-2)).toBe(1);
    expect(model.move('first')).toBe(0);
    expect(model.move(-1)).toBe(0);
    expect(model.move('last')).toBe(3);
    model.setActive('c');
    expect(model.activeIndex).toBe(2);
    model.setActive('');
    expect(model.move(-1)).toBe(3);
    model.dispose();
  });

  it('keeps the active row by dataset while the rows change, and has none in an empty list', async () => {
    const { model } = browser(
      lister(() => []),
      searcher(['c', 'a'])
    );
    await model.list.loadMore();
    expect(model.move(1)).toBe(-1);
    model.setActive('a');
    expect(model.activeIndex).toBe(-1);
    model.setText('x', true);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(model.activeIndex).toBe(1);
    expect(model.activeId).toBe('a');
    model.dispose();
  });
});

describe('DatasetBrowserModel while a query is typed', () => {
  it('shows no results of an earlier query under a new one', async () => {
    jest.useFakeTimers();
    const { model } = browser(
      lister(() => ['a']),
      searcher(['b'])
    );
    await model.search.search(); // the facet counts: results of the empty query
    model.setText('b');
    expect(model.searching).toBe(true);
    expect(ids(model)).toEqual([]);
    expect(model.loading).toBe(true);
    jest.advanceTimersByTime(1000);
    jest.useRealTimers();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(ids(model)).toEqual(['b']);
    expect(model.loading).toBe(false);
    model.dispose();
  });
});
