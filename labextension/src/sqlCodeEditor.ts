/**
 * The SQL editor's text area: CodeMirror 6, the editor JupyterLab 4 itself
 * uses (its @codemirror packages are shared with the extension at run time),
 * with SQL highlighting in JupyterLab's --jp-mirror-editor-* colours,
 * Ctrl/Cmd+Enter to run, and completion of dataset schemas, tables and
 * columns from a SqlCatalog.
 */
import {
  autocompletion,
  Completion,
  CompletionContext,
  CompletionResult,
  completionKeymap
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { PostgreSQL, sql } from '@codemirror/lang-sql';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { Compartment, Extension, Prec } from '@codemirror/state';
import { EditorView, keymap, placeholder } from '@codemirror/view';
import { tags } from '@lezer/highlight';

import { SqlCatalog } from './sqlCatalog';

/** SQL tokens in the colours JupyterLab's own editors use. */
const highlight = HighlightStyle.define([
  { tag: tags.keyword, color: 'var(--jp-mirror-editor-keyword-color)' },
  { tag: tags.operatorKeyword, color: 'var(--jp-mirror-editor-keyword-color)' },
  { tag: tags.string, color: 'var(--jp-mirror-editor-string-color)' },
  { tag: tags.number, color: 'var(--jp-mirror-editor-number-color)' },
  { tag: tags.bool, color: 'var(--jp-mirror-editor-atom-color)' },
  { tag: tags.null, color: 'var(--jp-mirror-editor-atom-color)' },
  { tag: tags.comment, color: 'var(--jp-mirror-editor-comment-color)' },
  { tag: tags.operator, color: 'var(--jp-mirror-editor-operator-color)' },
  {
    tag: tags.special(tags.string),
    color: 'var(--jp-mirror-editor-variable-2-color)'
  },
  { tag: tags.typeName, color: 'var(--jp-mirror-editor-builtin-color)' },
  { tag: tags.punctuation, color: 'var(--jp-mirror-editor-punctuation-color)' }
]);

const theme = EditorView.theme({
  '&': {
    color: 'var(--jp-content-font-color1)',
    backgroundColor: 'var(--jp-cell-editor-background)',
    border: 'var(--jp-border-width) solid var(--jp-cell-editor-border-color)',
    fontSize: 'var(--jp-code-font-size)'
  },
  '&.cm-focused': {
    outline: 'none',
    borderColor: 'var(--jp-cell-editor-active-border-color)'
  },
  '.cm-content': {
    fontFamily: 'var(--jp-code-font-family)',
    caretColor: 'var(--jp-editor-cursor-color)'
  },
  '.cm-scroller': { fontFamily: 'var(--jp-code-font-family)' },
  '.cm-selectionBackground, &.cm-focused .cm-selectionBackground': {
    backgroundColor: 'var(--jp-editor-selected-background)'
  }
});

/**
 * Completes bare column names of the tables the statement mentions; the
 * schema and table names (and `alias.column`) come from lang-sql's own
 * completion over the catalog's namespace.
 */
export function columnCompletion(
  catalog: SqlCatalog
): (context: CompletionContext) => CompletionResult | null {
  return context => {
    const word = context.matchBefore(/[A-Za-z_][A-Za-z0-9_]*/);
    if (!word && !context.explicit) {
      return null;
    }
    const before = context.state.sliceDoc(
      Math.max(0, (word?.from ?? context.pos) - 1),
      word?.from ?? context.pos
    );
    if (before === '.' || before === '"') {
      return null; // qualified or quoted names are lang-sql's
    }
    const options: Completion[] = catalog
      .columnsIn(context.state.doc.toString())
      .map(c => ({ label: c.name, type: 'property', detail: c.type }));
    return options.length
      ? { from: word?.from ?? context.pos, options, validFor: /^\w*$/ }
      : null;
  };
}

/**
 * SQL (PostgreSQL dialect, close to DuckDB's and Trino's) with completion of
 * the catalog as it is now: keywords, schemas, tables, columns.
 */
export function sqlLanguage(catalog: SqlCatalog): Extension {
  return [
    sql({
      dialect: PostgreSQL,
      schema: catalog.namespace(),
      upperCaseKeywords: true
    }),
    PostgreSQL.language.data.of({ autocomplete: columnCompletion(catalog) })
  ];
}

export interface ISqlCodeEditorOptions {
  parent: HTMLElement;
  doc: string;
  catalog: SqlCatalog;
  ariaLabel: string;
  placeholder: string;
  onChange: (doc: string) => void;
  onRun: () => void;
}

/** A CodeMirror view over one statement; call `refreshCatalog` after loading. */
export class SqlCodeEditor {
  constructor(options: ISqlCodeEditorOptions) {
    this._catalog = options.catalog;
    const extensions: Extension[] = [
      history(),
      Prec.highest(
        keymap.of([
          {
            key: 'Mod-Enter',
            run: () => {
              options.onRun();
              return true;
            }
          }
        ])
      ),
      keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap]),
      this._language.of(sqlLanguage(this._catalog)),
      autocompletion(),
      syntaxHighlighting(highlight),
      EditorView.lineWrapping,
      placeholder(options.placeholder),
      EditorView.contentAttributes.of({ 'aria-label': options.ariaLabel }),
      EditorView.updateListener.of(update => {
        if (update.docChanged) {
          options.onChange(update.state.doc.toString());
        }
      }),
      theme
    ];
    this.view = new EditorView({
      doc: options.doc,
      extensions,
      parent: options.parent
    });
  }

  readonly view: EditorView;

  /** Completion picks up the catalog's schemas as loaded now. */
  refreshCatalog(): void {
    this.view.dispatch({
      effects: this._language.reconfigure(sqlLanguage(this._catalog))
    });
  }

  destroy(): void {
    this.view.destroy();
  }

  private readonly _catalog: SqlCatalog;
  private readonly _language = new Compartment();
}
