import { DatasetResult, Transport } from '../datasetApi';
import { completionTarget } from '../searchCompletion';
import {
  facetTerm,
  fragmentParts,
  ISearchPage,
  ISearchRequest,
  parseSearchPage,
  parseSuggestions,
  SearchClient
} from '../searchApi';
import {
  SEARCH_DEBOUNCE_MS,
  SEARCH_PAGE_SIZE,
  SearchModel
} from '../searchModel';

/** A SearchDatasets answer as the gateway sends it (captured from a real run). */
const PAGE = {
  results: [
    {
      dataset: {
        name: 'datasets/penguins',
        description: 'Palmer penguins',
        tags: ['tabular'],
        labels: {},
        owner: 'kamld-samples',
        stats: { fileCount: '2', totalBytes: '15000', rowCount: '344' },
        snapshotCount: '1'
      },
      score: 1.25,
      highlights: [
        {
          field: 'description',
          fragments: ['Palmer <mark>penguins</mark> &lt;3']
        }
      ]
    }
  ],
  facets: [
    { field: 'tag', values: [{ value: 'tabular', count: '1' }] },
    { field: 'format', values: [{ value: 'parquet', count: '1' }] }
  ],
  totalSize: '1',
  nextPageToken: 'tok2'
};

describe('searchApi', () => {
  it('parses a page with int64 strings', () => {
    const page = parseSearchPage(PAGE)!;
    expect(page.results[0].dataset.id).toBe('penguins');
    expect(page.results[0].dataset.stats.rowCount).toBe(344);
    expect(page.results[0].highlights[0].fragments).toHaveLength(1);
    expect(page.facets[1]).toEqual({
      field: 'format',
      values: [{ value: 'parquet', count: 1 }]
    });
    expect(page.totalSize).toBe(1);
    expect(page.nextPageToken).toBe('tok2');
    expect(parseSearchPage({})).toEqual({
      results: [],
      facets: [],
      totalSize: 0,
      nextPageToken: ''
    });
    expect(parseSearchPage({ results: [{ dataset: {} }] })).toBeUndefined();
    expect(
      parseSuggestions({ values: [{ value: 'csv', count: '2' }] })
    ).toEqual([{ value: 'csv', count: 2 }]);
  });

  it('splits fragments into text parts without interpreting HTML', () => {
    expect(
      fragmentParts('a <mark>b</mark> &lt;i&gt; &amp; <mark>c</mark>')
    ).toEqual([
      { text: 'a ', marked: false },
      { text: 'b', marked: true },
      { text: ' <i> & ', marked: false },
      { text: 'c', marked: true }
    ]);
  });

  it('quotes facet values that need it', () => {
    expect(facetTerm('tag', 'finance')).toBe('tag:finance');
    expect(facetTerm('tag', 'time series')).toBe('tag:"time series"');
    expect(facetTerm('owner', 'a"b')).toBe('owner:"a\\"b"');
    expect(facetTerm('tag', '-x')).toBe('tag:"-x"');
  });

  it('posts the request and reports query errors with their violations', async () => {
    const calls: Array<[string, RequestInit]> = [];
    const answers = [
      new Response(JSON.stringify(PAGE), { status: 200 }),
      new Response(
        JSON.stringify({
          code: 3,
          message: 'invalid query',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.BadRequest',
              fieldViolations: [
                {
                  field: 'query',
                  description: 'at position 7: unbalanced quote'
                }
              ]
            }
          ]
        }),
        { status: 400 }
      )
    ];
    const transport: Transport = async (url, init) => {
      calls.push([url, init]);
      return answers.shift()!;
    };
    const client = new SearchClient({ baseUrl: '/lab/', transport });
    const ok = await client.search({
      query: 'penguins',
      facets: ['tag'],
      highlight: true
    });
    expect(ok.ok).toBe(true);
    expect(calls[0][0]).toBe('/lab/kamld/api/v1/datasets:search');
    expect(calls[0][1].method).toBe('POST');
    expect(JSON.parse(String(calls[0][1].body))).toMatchObject({
      query: 'penguins',
      facets: ['tag'],
      highlight: true
    });
    const bad = await client.search({ query: 'a "b' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.failure.httpStatus).toBe(400);
      expect(bad.failure.fieldViolations[0].field).toBe('query');
    }
  });
});

type Answer = DatasetResult<ISearchPage>;

function searcher() {
  const calls: ISearchRequest[] = [];
  const pending: Array<(a: Answer) => void> = [];
  return {
    calls,
    /** Answers the oldest unanswered call. */
    answer(a: Answer) {
      pending.shift()!(a);
    },
    search(request: ISearchRequest): Promise<Answer> {
      calls.push(request);
      return new Promise(resolve => pending.push(resolve));
    }
  };
}

const page = (ids: string[], next = ''): Answer => ({
  ok: true,
  value: {
    ...parseSearchPage(PAGE)!,
    results: ids.map(id => ({
      ...parseSearchPage(PAGE)!.results[0],
      dataset: {
        ...parseSearchPage(PAGE)!.results[0].dataset,
        id,
        name: `datasets/${id}`
      }
    })),
    nextPageToken: next
  }
});

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('SearchModel', () => {
  it('searches once typing pauses, with facets and highlights', async () => {
    jest.useFakeTimers();
    const fake = searcher();
    const model = new SearchModel(fake);
    model.setText('pen');
    model.setText('penguins');
    expect(fake.calls).toHaveLength(0);
    jest.advanceTimersByTime(SEARCH_DEBOUNCE_MS);
    jest.useRealTimers();
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({
      query: 'penguins',
      facets: ['tag', 'format', 'owner'],
      pageSize: SEARCH_PAGE_SIZE,
      highlight: true
    });
    fake.answer(page(['penguins']));
    await flush();
    expect(model.results.map(r => r.dataset.id)).toEqual(['penguins']);
    expect(model.facets.map(f => f.field)).toEqual(['tag', 'format']);
    model.dispose();
  });

  it('adds picked facet values to the query and removes them again', async () => {
    const fake = searcher();
    const model = new SearchModel(fake);
    model.setText('birds');
    const first = model.toggle('tag', 'time series');
    expect(fake.calls[0].query).toBe('birds tag:"time series"');
    expect(model.isPicked('tag', 'time series')).toBe(true);
    fake.answer(page([]));
    await first;
    const second = model.toggle('tag', 'time series');
    expect(fake.calls[1].query).toBe('birds');
    fake.answer(page([]));
    await second;
    model.dispose();
  });

  it('drops answers to queries that were replaced', async () => {
    const fake = searcher();
    const model = new SearchModel(fake);
    const older = model.search();
    const newer = model.toggle('owner', 'alice');
    fake.answer(page(['stale']));
    fake.answer(page(['fresh']));
    await Promise.all([older, newer]);
    expect(model.results.map(r => r.dataset.id)).toEqual(['fresh']);
    model.dispose();
  });

  it('pages with the token and appends', async () => {
    const fake = searcher();
    const model = new SearchModel(fake);
    const first = model.search();
    fake.answer(page(['a', 'b'], 't2'));
    await first;
    expect(model.hasMore).toBe(true);
    const more = model.loadMore();
    expect(fake.calls[1].pageToken).toBe('t2');
    fake.answer(page(['c']));
    await more;
    expect(model.results.map(r => r.dataset.id)).toEqual(['a', 'b', 'c']);
    expect(model.hasMore).toBe(false);
    model.dispose();
  });

  it('keeps the position of a rejected query', async () => {
    const fake = searcher();
    const model = new SearchModel(fake);
    const run = model.search();
    fake.answer({
      ok: false,
      failure: {
        kind: 'http',
        httpStatus: 400,
        message: 'invalid query: at position 7: unbalanced quote',
        fieldViolations: [
          { field: 'query', description: 'at position 7: unbalanced quote' }
        ]
      }
    });
    await run;
    expect(model.error).toEqual({
      message: 'at position 7: unbalanced quote',
      position: 7
    });
    model.dispose();
  });
});

describe('completionTarget', () => {
  it('finds the field being typed at the end of the query', () => {
    expect(completionTarget('churn tag:fin')).toEqual({
      field: 'tag',
      prefix: 'fin',
      start: 10
    });
    expect(completionTarget('-owner:')).toEqual({
      field: 'owner',
      prefix: '',
      start: 7
    });
    expect(completionTarget('tag:x churn')).toBeNull();
    expect(completionTarget('label:a')).toBeNull();
  });
});
