import { Transport } from '../datasetApi';
import { layoutSteps, NODE_WIDTH } from '../pipelines/dagLayout';
import {
  folderOf,
  isPipelineFile,
  logJob,
  parseRun,
  PipelineClient
} from '../pipelines/pipelineApi';

/** A run as the sidecar's gateway renders it (shape of a real iris run: one step cached, one running). */
const RUN = {
  name: 'pipelineRuns/p6ka3jcm0oq5ps',
  pipeline: 'iris',
  state: 'PIPELINE_RUN_STATE_RUNNING',
  message: '',
  owner: 'alice',
  parameters: { seed: '7' },
  createTime: '2026-12-07T17:00:00Z',
  steps: [
    {
      name: 'process',
      state: 'PIPELINE_STEP_STATE_CACHED',
      dependsOn: [],
      jobs: [],
      cacheKey: 'ab',
      reasons: ['unchanged since run p0'],
      cachedFrom: 'pipelineRuns/p0',
      cachedJob: 'jobs/p0-s0-1',
      outputs: { split: 'datasets/iris-split/snapshots/0a1b2c3d' },
      exportedEnv: []
    },
    {
      name: 'train',
      state: 'PIPELINE_STEP_STATE_RUNNING',
      dependsOn: ['process'],
      job: 'jobs/p6ka3jcm0oq5ps-s1-1',
      jobs: ['jobs/p6ka3jcm0oq5ps-s1-1'],
      attempt: 1,
      reasons: ['command changed']
    },
    {
      name: 'evaluate',
      state: 'PIPELINE_STEP_STATE_WAITING',
      dependsOn: ['process', 'train']
    }
  ]
};

describe('parseRun', () => {
  it('reads a run and its steps', () => {
    const run = parseRun(RUN)!;
    expect(run.id).toBe('p6ka3jcm0oq5ps');
    expect(run.state).toBe('RUNNING');
    expect(run.steps.map(s => s.state)).toEqual([
      'CACHED',
      'RUNNING',
      'WAITING'
    ]);
    expect(run.steps[0].outputs.split).toBe(
      'datasets/iris-split/snapshots/0a1b2c3d'
    );
    expect(logJob(run.steps[0])).toBe('jobs/p0-s0-1');
    expect(logJob(run.steps[1])).toBe('jobs/p6ka3jcm0oq5ps-s1-1');
    expect(logJob(run.steps[2])).toBe('');
  });

  it('refuses what is not a run', () => {
    expect(parseRun({ name: 'jobs/x' })).toBeUndefined();
    expect(parseRun(null)).toBeUndefined();
    expect(parseRun({ ...RUN, state: 'BOGUS' })?.state).toBe('UNSPECIFIED');
  });
});

describe('layoutSteps', () => {
  it('places each step after the steps it depends on', () => {
    const layout = layoutSteps(parseRun(RUN)!.steps);
    const x = Object.fromEntries(layout.nodes.map(n => [n.name, n.x]));
    expect(x.process).toBeLessThan(x.train);
    expect(x.train).toBeLessThan(x.evaluate);
    expect(layout.edges.map(e => `${e.from}->${e.to}`).sort()).toEqual([
      'process->evaluate',
      'process->train',
      'train->evaluate'
    ]);
    expect(layout.width).toBeGreaterThanOrEqual(3 * NODE_WIDTH);
    for (const e of layout.edges) {
      expect(e.points.length).toBeGreaterThanOrEqual(2);
    }
  });
});

describe('helpers', () => {
  it('tell pipeline files and their folder', () => {
    expect(isPipelineFile('a/pipeline.yaml')).toBe(true);
    expect(isPipelineFile('a/p.YML')).toBe(true);
    expect(isPipelineFile('train.py')).toBe(false);
    expect(folderOf('a/b/p.yaml')).toBe('a/b');
    expect(folderOf('p.yaml')).toBe('');
  });
});

describe('PipelineClient', () => {
  it('starts a run with the file and its folder', async () => {
    const calls: Array<{ url: string; init?: RequestInit }> = [];
    const transport: Transport = async (url, init) => {
      calls.push({ url: String(url), init });
      return new Response(JSON.stringify(RUN), { status: 200 });
    };
    const client = new PipelineClient('/lab/', transport);
    const got = await client.runPipeline('name: iris', 'pipelines/iris');
    expect(got.ok && got.value.pipeline).toBe('iris');
    expect(calls[0].url).toBe('/lab/kamld/api/v1/pipelineRuns');
    expect(JSON.parse(String(calls[0].init?.body))).toEqual({
      source: 'name: iris',
      baseDir: 'pipelines/iris'
    });
  });

  it('reports a refused pipeline with its field violations', async () => {
    const transport: Transport = async () =>
      new Response(
        JSON.stringify({
          code: 3,
          message: 'invalid steps.a.after[0]: unknown step "zz"',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.BadRequest',
              fieldViolations: [
                { field: 'steps.a.after[0]', description: 'unknown step "zz"' }
              ]
            }
          ]
        }),
        { status: 400 }
      );
    const got = await new PipelineClient('/', transport).runPipeline('x', '');
    expect(got.ok).toBe(false);
    if (!got.ok) {
      expect(got.failure.fieldViolations[0].field).toBe('steps.a.after[0]');
    }
  });
});
