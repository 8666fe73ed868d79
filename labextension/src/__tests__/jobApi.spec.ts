import {
  buildRunRequest,
  IJob,
  JobClient,
  jobDuration,
  jobTitle,
  lineageLine,
  logText,
  parseJob,
  parseMapping,
  rerunBody,
  shortState,
  snapshotLineage,
  snapshotRef
} from '../jobApi';
import { JobsModel } from '../jobsModel';
import { parseSnapshot, Transport } from '../datasetApi';

/** A job as the sidecar's gateway renders it (shape captured from a real run). */
const JOB = {
  name: 'jobs/job-5213aja89dtak',
  displayName: '',
  flavor: 'cpu',
  command: ['python', 'train.py'],
  notebook: '',
  workingFiles: [
    { source: '', path: 'train.py', content: 'cHJpbnQoMSk=', executable: false }
  ],
  inputs: [
    {
      ref: 'iris@v1',
      path: 'data',
      snapshot:
        'datasets/iris/snapshots/0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9'
    }
  ],
  outputs: [{ path: 'out', dataset: 'datasets/model', message: '' }],
  resources: { cpu: '100m', memory: '256Mi', gpu: 0 },
  env: {},
  nodeSelector: {},
  timeout: '86400s',
  maxRetries: 0,
  labels: {},
  state: 'JOB_STATE_SUCCEEDED',
  events: [
    {
      job: 'jobs/job-5213aja89dtak',
      state: 'JOB_STATE_QUEUED',
      reason: 'Submitted',
      message: 'accepted',
      time: '2026-11-29T09:30:51.100Z',
      attempt: 1
    },
    {
      job: 'jobs/job-5213aja89dtak',
      state: 'JOB_STATE_RUNNING',
      reason: 'Started',
      message: '',
      time: '2026-11-29T09:30:51.200Z',
      attempt: 1
    },
    {
      job: 'jobs/job-5213aja89dtak',
      state: 'JOB_STATE_SUCCEEDED',
      reason: 'Completed',
      message: '',
      time: '2026-11-29T09:31:53.200Z',
      attempt: 1
    }
  ],
  owner: 'root',
  createTime: '2026-11-29T09:30:51.100Z',
  startTime: '2026-11-29T09:30:51.200Z',
  endTime: '2026-11-29T09:31:53.200Z',
  image: 'host',
  backend: 'local',
  attempt: 1,
  outputSnapshots: [
    'datasets/model/snapshots/fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210'
  ],
  codeDigest: 'sha256:00'
};

function fakeTransport(
  answers: Record<string, { status: number; body: string }>
): { transport: Transport; calls: Array<{ url: string; init: RequestInit }> } {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const transport: Transport = async (url, init) => {
    calls.push({ url, init });
    const key = `${init.method ?? 'GET'} ${url.replace('http://h/lab/kamld/api/', '')}`;
    const answer = answers[key] ?? {
      status: 404,
      body: '{"code":5,"message":"no route"}'
    };
    return new Response(answer.body, { status: answer.status });
  };
  return { transport, calls };
}

describe('jobApi', () => {
  it('parses a job as the gateway sends it', () => {
    const job = parseJob(JOB)!;
    expect(job.id).toBe('job-5213aja89dtak');
    expect(job.state).toBe('SUCCEEDED');
    expect(job.events.map(e => e.state)).toEqual([
      'QUEUED',
      'RUNNING',
      'SUCCEEDED'
    ]);
    expect(job.inputs[0].snapshot).toContain('datasets/iris/snapshots/');
    expect(jobTitle(job)).toBe('python train.py');
    expect(jobDuration(job)).toBe('1 min 2 s');
    expect(lineageLine(job, job.outputSnapshots[0])).toBe(
      'model@fedcba98 ← jobs/job-5213aja89dtak ← iris@0a1b2c3d'
    );
    expect(parseJob({ name: 'datasets/x' })).toBeUndefined();
    expect(shortState('JOB_STATE_BOGUS')).toBe('UNSPECIFIED');
  });

  it('times a running job against now and a queued one not at all', () => {
    const running = parseJob({
      ...JOB,
      state: 'JOB_STATE_RUNNING',
      endTime: ''
    })!;
    expect(jobDuration(running, Date.parse('2026-11-29T11:35:51.200Z'))).toBe(
      '2 h 5 min'
    );
    expect(jobDuration(parseJob({ ...JOB, startTime: '' })!)).toBe('');
  });

  it('builds the submit body for a script and for a notebook', () => {
    const script = buildRunRequest({
      path: 'work/train.py',
      contentBase64: 'cHJpbnQoMSk=',
      flavor: 'cpu',
      inputs: ['iris@v1:/data', ''],
      outputs: ['model:/out/'],
      cpu: ' 500m ',
      memory: ''
    });
    expect(script).toEqual({
      flavor: 'cpu',
      workingFiles: [{ path: 'train.py', content: 'cHJpbnQoMSk=' }],
      inputs: [{ ref: 'iris@v1', path: 'data' }],
      outputs: [{ path: 'out', dataset: 'datasets/model' }],
      resources: { cpu: '500m', memory: '' },
      command: ['python', 'train.py']
    });
    const nb = buildRunRequest({
      path: 'eda.ipynb',
      contentBase64: 'e30=',
      flavor: 'cpu',
      inputs: [],
      outputs: [],
      cpu: '',
      memory: ''
    });
    expect(nb.notebook).toBe('eda.ipynb');
    expect(nb.command).toBeUndefined();
    expect(() =>
      buildRunRequest({
        path: 'a.py',
        contentBase64: '',
        flavor: 'cpu',
        inputs: ['iris'],
        outputs: [],
        cpu: '',
        memory: ''
      })
    ).toThrow('iris@v1:/data');
    expect(parseMapping('iris@v1:/data')).toEqual(['iris@v1', 'data']);
    expect(parseMapping(':/data')).toBeUndefined();
  });

  it('runs a job again with its spec and the snapshots its inputs resolved to', () => {
    const body = rerunBody(parseJob(JOB)!);
    expect(body.inputs).toEqual([
      {
        ref: 'iris@0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
        path: 'data'
      }
    ]);
    expect(body.command).toEqual(['python', 'train.py']);
    expect(body.workingFiles).toEqual(JOB.workingFiles);
    for (const outputOnly of [
      'name',
      'state',
      'events',
      'owner',
      'image',
      'outputSnapshots'
    ]) {
      expect(body).not.toHaveProperty(outputOnly);
    }
  });

  it('draws the lineage of a snapshot a job produced', () => {
    const snap = parseSnapshot({
      name: 'datasets/model/snapshots/fedcba98',
      id: 'fedcba98',
      sequence: '2',
      version: 'v2',
      lineage: {
        job: 'jobs/job-42',
        inputs: ['datasets/iris/snapshots/0a1b2c3d4e5f6071'],
        image: 'host',
        codeDigest: 'sha256:00'
      }
    })!;
    expect(snapshotLineage('model', snap.version, snap.lineage!)).toBe(
      'model@v2 ← jobs/job-42 ← iris@0a1b2c3d'
    );
    expect(
      parseSnapshot({ version: 'v1', lineage: {} })!.lineage
    ).toBeUndefined();
  });

  it('reads the text of an NDJSON log stream', () => {
    const body =
      '{"result":{"text":"step 1\\n","offset":"0","attempt":1}}\n' +
      '{"result":{"text":"step 2\\n","offset":"7","attempt":1}}\n{"res';
    expect(logText(body)).toBe('step 1\nstep 2\n');
  });

  it('calls the routes and reports field violations', async () => {
    const { transport, calls } = fakeTransport({
      'GET v1/jobs?pageSize=50': {
        status: 200,
        body: JSON.stringify({ jobs: [JOB], nextPageToken: '' })
      },
      'POST v1/jobs': {
        status: 400,
        body: JSON.stringify({
          code: 3,
          message: 'invalid job.flavor',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.BadRequest',
              fieldViolations: [
                { field: 'job.flavor', description: 'unknown flavor "tpu"' }
              ]
            }
          ]
        })
      },
      'POST v1/jobs/job-5213aja89dtak:cancel': {
        status: 200,
        body: JSON.stringify(JOB)
      }
    });
    const client = new JobClient('http://h/lab/', transport);
    const jobs = await client.listJobs();
    expect(jobs.ok && jobs.value[0].id).toBe('job-5213aja89dtak');
    const bad = await client.submitJob({ flavor: 'tpu' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.failure.grpcCode).toBe(3);
      expect(bad.failure.fieldViolations[0].field).toBe('job.flavor');
    }
    await client.cancelJob('job-5213aja89dtak');
    expect(calls.map(c => `${c.init.method} ${c.url}`)).toEqual([
      'GET http://h/lab/kamld/api/v1/jobs?pageSize=50',
      'POST http://h/lab/kamld/api/v1/jobs',
      'POST http://h/lab/kamld/api/v1/jobs/job-5213aja89dtak:cancel'
    ]);
  });
});

describe('JobsModel', () => {
  it('notifies a job that ends while watched, loads the open job’s log once it is final', async () => {
    let state = 'JOB_STATE_RUNNING';
    let logCalls = 0;
    const submitted: Array<Record<string, unknown>> = [];
    const again = parseJob({
      ...JOB,
      name: 'jobs/again',
      state: 'JOB_STATE_QUEUED'
    })!;
    const extra: IJob[] = [];
    const model = new JobsModel({
      listJobs: async () => ({
        ok: true,
        value: [...extra, parseJob({ ...JOB, state })!]
      }),
      getJob: async () => ({ ok: true, value: parseJob({ ...JOB, state })! }),
      cancelJob: async () => ({ ok: true, value: parseJob(JOB)! }),
      submitJob: async body => {
        submitted.push(body);
        extra.push(again);
        return {
          ok: true,
          value: parseJob({
            ...JOB,
            name: 'jobs/again',
            state: 'JOB_STATE_QUEUED'
          })!
        };
      },
      logs: async () => {
        logCalls++;
        return { ok: true, value: `log ${logCalls}` };
      }
    });
    const finished: string[] = [];
    model.finished.connect((_, job) => finished.push(job.state));
    await model.refresh();
    await model.select('job-5213aja89dtak');
    expect(model.selected?.state).toBe('RUNNING');
    expect(model.log).toBe('log 1');
    await model.refresh();
    expect(model.log).toBe('log 2'); // still running: the log is read again
    state = 'JOB_STATE_SUCCEEDED';
    await model.refresh();
    expect(finished).toEqual(['SUCCEEDED']);
    expect(model.log).toBe('log 3');
    await model.refresh();
    expect(model.log).toBe('log 3'); // final: no more reads
    expect(finished).toEqual(['SUCCEEDED']); // notified once

    expect(await model.rerun(model.selected!)).toBe('');
    expect(submitted).toHaveLength(1);
    expect(model.jobs[0].id).toBe('again');
    expect(model.selected?.id).toBe('again');
  });

  it('shows a listing error', async () => {
    const model = new JobsModel({
      listJobs: async () => ({
        ok: false,
        failure: { kind: 'network', message: 'offline', fieldViolations: [] }
      }),
      getJob: async () => ({
        ok: false,
        failure: { kind: 'network', message: '', fieldViolations: [] }
      }),
      cancelJob: async () => ({
        ok: false,
        failure: { kind: 'network', message: '', fieldViolations: [] }
      }),
      logs: async () => ({ ok: true, value: '' })
    });
    await model.refresh();
    expect(model.error).toBe('offline');
  });
});

describe('JobsModel.runningCount', () => {
  it('counts the jobs listed that have not ended', async () => {
    const states = [
      'JOB_STATE_RUNNING',
      'JOB_STATE_QUEUED',
      'JOB_STATE_SUCCEEDED',
      'JOB_STATE_FAILED'
    ];
    const model = new JobsModel({
      listJobs: async () => ({
        ok: true,
        value: states.map((state, i) =>
          parseJob({ ...JOB, name: `jobs/j${i}`, state })!
        )
      }),
      getJob: async () => ({ ok: true, value: parseJob(JOB)! }),
      cancelJob: async () => ({ ok: true, value: parseJob(JOB)! }),
      submitJob: async () => ({ ok: true, value: parseJob(JOB)! }),
      logs: async () => ({ ok: true, value: '' })
    });
    expect(model.runningCount).toBe(0);
    await model.refresh();
    expect(model.jobs).toHaveLength(4);
    expect(model.runningCount).toBe(2);
  });
});

describe('snapshotRef', () => {
  const name = 'datasets/iris-model/snapshots/0123456789abcdef';
  it('opens an output snapshot at its version, or at its id, never the draft', () => {
    expect(snapshotRef(name, new Map([[name, 'v2']]))).toBe('v2');
    expect(snapshotRef(name, new Map())).toBe('0123456789abcdef');
  });
});
