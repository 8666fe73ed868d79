/**
 * Typed client for the sidecar's SearchService REST routes
 * (proto/kamld/v1/search.proto): `POST v1/datasets:search` and
 * `GET v1/datasets:suggest`, through Jupyter's proxy like the dataset routes.
 *
 * No JupyterLab imports: the transport is handed in, so jest tests the routes
 * and parsers directly.
 */
import { isObject, JsonRequester, jsonRequester } from './apiRequest';
import { DatasetResult, IDataset, parseDataset, Transport } from './datasetApi';

/** Facet fields the panel asks for, in sidebar order. */
export const SEARCH_FACETS = ['tag', 'format', 'owner'] as const;
export type SearchFacetField = (typeof SEARCH_FACETS)[number];

export interface IHighlight {
  /** "description", "name", "tags" or "columns". */
  field: string;
  /** Fragments with matches in `<mark>…</mark>`; everything else HTML-escaped. */
  fragments: string[];
}

export interface ISearchResult {
  dataset: IDataset;
  score: number;
  highlights: IHighlight[];
}

export interface IFacetValue {
  value: string;
  count: number;
}

export interface IFacet {
  field: string;
  values: IFacetValue[];
}

export interface ISearchPage {
  results: ISearchResult[];
  facets: IFacet[];
  totalSize: number;
  nextPageToken: string;
}

export interface ISearchRequest {
  query: string;
  facets?: readonly string[];
  orderBy?: string;
  pageSize?: number;
  pageToken?: string;
  highlight?: boolean;
}

function int(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function parseFacetValue(value: unknown): IFacetValue | undefined {
  return isObject(value) && typeof value.value === 'string'
    ? { value: value.value, count: int(value.count) }
    : undefined;
}

function defined<T>(items: Array<T | undefined>): T[] {
  return items.filter((item): item is T => item !== undefined);
}

export function parseSearchPage(body: unknown): ISearchPage | undefined {
  if (!isObject(body)) {
    return undefined;
  }
  const results: ISearchResult[] = [];
  for (const item of list(body.results)) {
    const dataset = isObject(item) ? parseDataset(item.dataset) : undefined;
    if (!dataset || !isObject(item)) {
      return undefined;
    }
    results.push({
      dataset,
      score: int(item.score),
      highlights: defined(
        list(item.highlights).map(h =>
          isObject(h) && typeof h.field === 'string'
            ? {
                field: h.field,
                fragments: list(h.fragments).filter(
                  (f): f is string => typeof f === 'string'
                )
              }
            : undefined
        )
      )
    });
  }
  return {
    results,
    facets: defined(
      list(body.facets).map(f =>
        isObject(f) && typeof f.field === 'string'
          ? {
              field: f.field,
              values: defined(list(f.values).map(parseFacetValue))
            }
          : undefined
      )
    ),
    totalSize: int(body.totalSize),
    nextPageToken:
      typeof body.nextPageToken === 'string' ? body.nextPageToken : ''
  };
}

export function parseSuggestions(body: unknown): IFacetValue[] | undefined {
  return isObject(body)
    ? defined(list(body.values).map(parseFacetValue))
    : undefined;
}

/** One piece of a highlight fragment: plain text, marked or not. */
export interface IFragmentPart {
  text: string;
  marked: boolean;
}

const ENTITIES: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&quot;': '"',
  '&#34;': '"',
  '&#39;': "'"
};

/**
 * Splits a fragment into text parts, decoding the escaped characters, so the
 * view renders text nodes and never injects HTML.
 */
export function fragmentParts(fragment: string): IFragmentPart[] {
  const parts: IFragmentPart[] = [];
  const decode = (s: string) =>
    s.replace(/&(lt|gt|amp|quot|#34|#39);/g, e => ENTITIES[e] ?? e);
  let marked = false;
  for (const piece of fragment.split(/(<mark>|<\/mark>)/)) {
    if (piece === '<mark>') {
      marked = true;
    } else if (piece === '</mark>') {
      marked = false;
    } else if (piece) {
      parts.push({ text: decode(piece), marked });
    }
  }
  return parts;
}

/** Quotes a facet value as a query term: `tag:finance`, `tag:"time series"`. */
export function facetTerm(field: string, value: string): string {
  const plain = /^[^\s"()\\]+$/.test(value) && !value.startsWith('-');
  return plain
    ? `${field}:${value}`
    : `${field}:"${value.replace(/(["\\])/g, '\\$1')}"`;
}

export class SearchClient {
  constructor(options: { baseUrl: string; transport: Transport }) {
    this._json = jsonRequester(options.transport, options.baseUrl);
  }

  search(request: ISearchRequest): Promise<DatasetResult<ISearchPage>> {
    return this._json(
      'POST',
      'v1/datasets:search',
      {
        query: request.query,
        facets: request.facets ?? [],
        orderBy: request.orderBy ?? '',
        pageSize: request.pageSize ?? 0,
        pageToken: request.pageToken ?? '',
        highlight: request.highlight ?? false
      },
      parseSearchPage
    );
  }

  suggest(
    field: string,
    prefix: string,
    limit = 10
  ): Promise<DatasetResult<IFacetValue[]>> {
    const q = new URLSearchParams({ field, prefix, limit: String(limit) });
    return this._json(
      'GET',
      `v1/datasets:suggest?${q.toString()}`,
      undefined,
      parseSuggestions
    );
  }

  private readonly _json: JsonRequester;
}
