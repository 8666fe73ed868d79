/**
 * A job's log: follows the end while the job runs (unless the reader
 * scrolled up), with a search box that marks the matching lines and says how
 * many there are.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

/** ANSI colour and style escapes: the log shows their text, not the codes. */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function JobLog(props: {
  text: string;
  live: boolean;
  trans: TranslationBundle;
}): React.ReactElement {
  const { trans } = props;
  const [query, setQuery] = React.useState('');
  const box = React.useRef<HTMLPreElement>(null);
  const following = React.useRef(true);
  const lines = props.text.replace(ANSI, '').split('\n');
  const needle = query.toLowerCase();
  const hits = needle
    ? lines.filter(line => line.toLowerCase().includes(needle)).length
    : 0;
  React.useEffect(() => {
    const node = box.current;
    if (node && following.current && props.live) {
      node.scrollTop = node.scrollHeight;
    }
  }, [props.text, props.live]);
  return (
    <div className="kamld-JobLog-box">
      <div className="kamld-JobLog-toolbar">
        <input
          type="search"
          className="jp-mod-styled"
          aria-label={trans.__('Search the log')}
          placeholder={trans.__('Search the log')}
          value={query}
          onChange={event => setQuery(event.target.value)}
        />
        {needle && (
          <span className="kamld-Muted" role="status">
            {trans._n('%1 line', '%1 lines', hits)}
          </span>
        )}
      </div>
      <pre
        ref={box}
        className="kamld-JobLog"
        aria-label={trans.__('Log')}
        tabIndex={0}
        onScroll={event => {
          const node = event.currentTarget;
          following.current =
            node.scrollTop + node.clientHeight >= node.scrollHeight - 8;
        }}
      >
        {lines.map((line, i) => (
          <div
            key={i}
            className={
              needle && line.toLowerCase().includes(needle)
                ? 'kamld-JobLog-line kamld-mod-match'
                : 'kamld-JobLog-line'
            }
          >
            {line || '\u00a0'}
          </div>
        ))}
      </pre>
    </div>
  );
}
