import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CommandIds, PALETTE_COMMANDS } from '../commandIds';

const ids: string[] = Object.values(CommandIds);
const schema = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'schema', 'plugin.json'), 'utf8')
) as {
  'jupyter.lab.shortcuts': Array<{ command: string; keys: string[] }>;
  'jupyter.lab.menus': { main: unknown[] };
  'jupyter.lab.toolbars': Record<string, Array<{ command: string }>>;
};

/** Every `"command"` value anywhere in a JSON value. */
function commandsIn(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.flatMap(commandsIn);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, v]) =>
      key === 'command' && typeof v === 'string' ? [v] : commandsIn(v)
    );
  }
  return [];
}

describe('CommandIds', () => {
  it('are unique and namespaced kamld:', () => {
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^kamld:[a-z]+(-[a-z]+)*$/);
    }
  });

  it('list in the palette only commands that exist', () => {
    for (const id of PALETTE_COMMANDS) {
      expect(ids).toContain(id);
    }
  });

  it('are the only commands plugin.json binds to shortcuts, menus and toolbars', () => {
    const used = [
      ...commandsIn(schema['jupyter.lab.shortcuts']),
      ...commandsIn(schema['jupyter.lab.menus']),
      ...commandsIn(schema['jupyter.lab.toolbars'])
    ];
    expect(used.length).toBeGreaterThanOrEqual(6);
    for (const id of used) {
      expect(ids).toContain(id);
    }
    // The three frequent actions have a shortcut each.
    expect(schema['jupyter.lab.shortcuts'].map(s => s.command).sort()).toEqual(
      [CommandIds.focusSearch, CommandIds.runQuery, CommandIds.snapshot].sort()
    );
  });
});
