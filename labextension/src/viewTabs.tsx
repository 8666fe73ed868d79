/**
 * A row of tabs (WAI-ARIA tablist: arrows, Home and End move between tabs,
 * the active one is the only tab stop) for views with several panels.
 */
import * as React from 'react';

export interface ITabSpec<T extends string> {
  id: T;
  label: string;
}

export function ViewTabs<T extends string>(props: {
  tabs: ReadonlyArray<ITabSpec<T>>;
  active: T;
  onSelect: (id: T) => void;
  /** Prefix of the tab and panel element ids (unique in the page). */
  idPrefix: string;
  label: string;
}): React.ReactElement {
  const { tabs, active, onSelect, idPrefix } = props;
  const refs = React.useRef<Array<HTMLButtonElement | null>>([]);
  const move = (index: number): void => {
    const next = (index + tabs.length) % tabs.length;
    onSelect(tabs[next].id);
    refs.current[next]?.focus();
  };
  const onKeyDown = (event: React.KeyboardEvent, index: number): void => {
    const keys: Record<string, number> = {
      ArrowRight: index + 1,
      ArrowLeft: index - 1,
      Home: 0,
      End: tabs.length - 1
    };
    if (event.key in keys) {
      event.preventDefault();
      move(keys[event.key]);
    }
  };
  return (
    <div className="kamld-ViewTabs" role="tablist" aria-label={props.label}>
      {tabs.map((tab, index) => (
        <button
          key={tab.id}
          ref={node => {
            refs.current[index] = node;
          }}
          type="button"
          role="tab"
          id={`${idPrefix}-tab-${tab.id}`}
          aria-controls={`${idPrefix}-panel`}
          aria-selected={tab.id === active}
          tabIndex={tab.id === active ? 0 : -1}
          className={`kamld-ViewTabs-tab${tab.id === active ? ' kamld-mod-active' : ''}`}
          data-kamld-tab={tab.id}
          onClick={() => onSelect(tab.id)}
          onKeyDown={event => onKeyDown(event, index)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}
