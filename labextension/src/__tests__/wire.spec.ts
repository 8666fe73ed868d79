import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseDataset } from '../datasetApi';
import { wire } from '../wire';

const src = (name: string): string =>
  readFileSync(join(__dirname, '..', name), 'utf8');

describe('wire types', () => {
  it('reads JSON objects as the generated message, anything else as {}', () => {
    expect(wire<'v1Dataset'>({ name: 'datasets/iris' }).name).toBe(
      'datasets/iris'
    );
    expect(wire<'v1Dataset'>(null).name).toBeUndefined();
    expect(wire<'v1Dataset'>(['x']).name).toBeUndefined();
  });

  it('parse through them: a dataset from its generated fields', () => {
    const dataset = parseDataset({
      name: 'datasets/iris',
      snapshotCount: '3',
      stats: { fileCount: '2', totalBytes: '10' }
    });
    expect(dataset?.id).toBe('iris');
    expect(dataset?.snapshotCount).toBe(3);
  });

  it('are generated from the committed OpenAPI (make generate)', () => {
    const generated = src('gen/kamldApi.ts');
    expect(generated).toContain('v1MetricsSummary: {');
    expect(generated).toContain('v1Dataset: {');
  });
});

describe('module structure', () => {
  it('apiRequest does not import the clients that import it', () => {
    expect(src('apiRequest.ts')).not.toMatch(
      /from '\.\/(datasetApi|searchApi|jobApi)'/
    );
  });
});
