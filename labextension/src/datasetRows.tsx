/**
 * The rows of the sidebar's dataset list: a listbox, windowed (only the rows
 * in view are in the DOM), loading the next page as the end comes into view.
 * The keyboard: ↑/↓, Page Up/Down, Home/End move the active row
 * (aria-activedescendant), Enter opens it, the context-menu key or Shift+F10
 * opens its context menu.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  DatasetBrowserModel,
  IDatasetRow,
  RowMove
} from './datasetBrowserModel';
import { formatBytes, nearEnd, windowRange } from './datasetModel';
import { fragmentParts } from './searchApi';

/** Height of one row in px (the windowing needs a fixed height). */
export const ROW_HEIGHT = 44;

/** The DOM id of a dataset's row (ids are [a-z0-9-], safe in an id). */
export function rowId(datasetId: string): string {
  return `kamld-DatasetList-option-${datasetId}`;
}

export interface IDatasetRowsProps {
  model: DatasetBrowserModel;
  trans: TranslationBundle;
  onOpen: (id: string) => void;
  /** Handed the list's node, so the search box can move the focus to it. */
  listRef: React.RefObject<HTMLDivElement>;
}

export function DatasetRows(props: IDatasetRowsProps): React.ReactElement {
  const { model, trans, onOpen, listRef } = props;
  const [scrollTop, setScrollTop] = React.useState(0);
  const [viewport, setViewport] = React.useState(400);
  const scroller = React.useRef<HTMLDivElement>(null);

  React.useEffect(() => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    const observer = new ResizeObserver(() => setViewport(node.clientHeight));
    observer.observe(node);
    setViewport(node.clientHeight);
    return () => observer.disconnect();
  }, []);

  const rows = model.rows;
  const range = windowRange(scrollTop, viewport, ROW_HEIGHT, rows.length);

  // Infinite scroll: fetch the next page when the end comes into view.
  React.useEffect(() => {
    if (
      model.hasMore &&
      !model.loading &&
      !model.error &&
      nearEnd(scrollTop, viewport, range.totalHeight, ROW_HEIGHT * 5)
    ) {
      void model.loadMore();
    }
  });

  /** Scrolls the row at index into view (so that it is rendered too). */
  const reveal = (index: number): void => {
    const node = scroller.current;
    if (!node || index < 0) {
      return;
    }
    const top = index * ROW_HEIGHT;
    if (top < node.scrollTop) {
      node.scrollTop = top;
    } else if (top + ROW_HEIGHT > node.scrollTop + node.clientHeight) {
      node.scrollTop = top + ROW_HEIGHT - node.clientHeight;
    }
    setScrollTop(node.scrollTop);
  };

  const page = Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
  const moves: Record<string, RowMove> = {
    ArrowDown: 1,
    ArrowUp: -1,
    PageDown: page,
    PageUp: -page,
    Home: 'first',
    End: 'last'
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>): void => {
    const move = moves[event.key];
    if (move !== undefined) {
      event.preventDefault();
      reveal(model.move(move));
      return;
    }
    const active = model.activeId;
    if (!active) {
      return;
    }
    if (event.key === 'Enter') {
      event.preventDefault();
      onOpen(active);
    } else if (
      event.key === 'ContextMenu' ||
      (event.key === 'F10' && event.shiftKey)
    ) {
      event.preventDefault();
      event.stopPropagation();
      openContextMenu(listRef.current, active);
    }
  };

  const active = model.activeId;
  return (
    <div
      className="kamld-DatasetList-scroller"
      ref={scroller}
      onScroll={event => setScrollTop(event.currentTarget.scrollTop)}
    >
      <div
        className="kamld-DatasetList-rows"
        ref={listRef}
        // A listbox needs options: an empty list is a plain box (the footer says why).
        role={rows.length > 0 ? 'listbox' : undefined}
        tabIndex={rows.length > 0 ? 0 : -1}
        aria-label={
          rows.length === 0
            ? undefined
            : model.searching
              ? trans.__('Search results')
              : trans.__('Datasets')
        }
        aria-activedescendant={active ? rowId(active) : undefined}
        onKeyDown={onKeyDown}
        onFocus={event => {
          if (event.target === event.currentTarget && !active) {
            reveal(model.move(1));
          }
        }}
        style={{ height: range.totalHeight }}
      >
        {rows.slice(range.start, range.end).map((row, i) => (
          <Row
            key={row.dataset.name}
            row={row}
            top={range.offsetTop + i * ROW_HEIGHT}
            active={row.dataset.id === active}
            searching={model.searching}
            trans={trans}
            onClick={() => {
              model.setActive(row.dataset.id);
              onOpen(row.dataset.id);
            }}
          />
        ))}
      </div>
      <ListFooter model={model} trans={trans} />
    </div>
  );
}

/**
 * Opens JupyterLab's context menu for a row, as a right-click at the row
 * would: the menu's items are matched against the event's target.
 */
function openContextMenu(list: HTMLElement | null, id: string): void {
  const row = list?.querySelector<HTMLElement>(`#${rowId(id)}`);
  if (!row) {
    return;
  }
  const rect = row.getBoundingClientRect();
  row.dispatchEvent(
    new MouseEvent('contextmenu', {
      bubbles: true,
      cancelable: true,
      clientX: rect.left + 16,
      clientY: rect.bottom - 4
    })
  );
}

function Row(props: {
  row: IDatasetRow;
  top: number;
  active: boolean;
  searching: boolean;
  trans: TranslationBundle;
  onClick: () => void;
}): React.ReactElement {
  const { row, top, active, searching, trans, onClick } = props;
  const d = row.dataset;
  const facts = [
    trans._n('%1 snapshot', '%1 snapshots', d.snapshotCount),
    formatBytes(d.stats.totalBytes)
  ];
  return (
    <div
      id={rowId(d.id)}
      className={
        'kamld-DatasetList-row' +
        (searching ? ' kamld-Search-result' : '') +
        (active ? ' jp-mod-active' : '')
      }
      role="option"
      aria-selected={active}
      data-kamld-dataset={d.id}
      title={d.description || d.id}
      style={{ top, height: ROW_HEIGHT }}
      onClick={onClick}
    >
      <span className="kamld-DatasetList-line">
        <span className="kamld-DatasetList-name">{d.id}</span>
        <span className="kamld-DatasetList-facts">{facts.join(' · ')}</span>
      </span>
      <span className="kamld-DatasetList-meta">
        {row.fragment
          ? fragmentParts(row.fragment).map((part, i) =>
              part.marked ? <mark key={i}>{part.text}</mark> : part.text
            )
          : d.description || d.tags.join(', ')}
      </span>
    </div>
  );
}

function ListFooter(props: {
  model: DatasetBrowserModel;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, trans } = props;
  const empty = !model.loading && !model.hasMore && model.rows.length === 0;
  return (
    <div className="kamld-DatasetList-footer">
      {model.loading && <span>{trans.__('Loading…')}</span>}
      {model.error && !model.searching && (
        <span className="kamld-DatasetList-error" role="alert">
          {trans.__('Could not list datasets: %1', model.error)}{' '}
          <button
            type="button"
            className="jp-mod-styled kamld-DatasetList-retry"
            onClick={() => void model.list.reload()}
          >
            {trans.__('Retry')}
          </button>
        </span>
      )}
      {!model.loading && !model.error && model.hasMore && (
        <button
          type="button"
          className="jp-mod-styled kamld-DatasetList-more"
          onClick={() => void model.loadMore()}
        >
          {trans.__('Load more')}
        </button>
      )}
      {empty && !model.error && (
        <span className="kamld-DatasetList-empty">
          {model.searching
            ? trans.__('No dataset matches.')
            : model.access
              ? trans.__('No dataset matches this filter.')
              : trans.__('No datasets yet.')}
        </span>
      )}
    </div>
  );
}
