/**
 * Typed client for the sidecar's JobService REST routes (proto/kamld/v1/job.proto) through Jupyter's proxy,
 * and the pure helpers the Jobs section and the "Run as job…" dialog use. No JupyterLab imports: the
 * transport is handed in (a fake in jest).
 */
import {
  httpFailure,
  isObject,
  JsonObject,
  JsonRequester,
  jsonRequester,
  networkFailure,
  proxiedUrl,
  safeJson,
  str
} from './apiRequest';
import { DatasetResult, ILineage, Transport } from './datasetApi';

export type JobStateName =
  | 'QUEUED'
  | 'PENDING'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'CANCELLED'
  | 'UNSPECIFIED';

export const FINAL_STATES: readonly JobStateName[] = [
  'SUCCEEDED',
  'FAILED',
  'CANCELLED'
];

export interface IJobEvent {
  state: JobStateName;
  reason: string;
  message: string;
  time: string;
  attempt: number;
}

export interface IJobInput {
  ref: string;
  path: string;
  snapshot: string;
}

export interface IJobOutput {
  path: string;
  dataset: string;
}

export interface IJob {
  /** `jobs/{id}`. */
  name: string;
  id: string;
  displayName: string;
  flavor: string;
  command: string[];
  notebook: string;
  state: JobStateName;
  events: IJobEvent[];
  owner: string;
  createTime: string;
  startTime: string;
  endTime: string;
  image: string;
  attempt: number;
  inputs: IJobInput[];
  outputs: IJobOutput[];
  outputSnapshots: string[];
  codeDigest: string;
  /** The job as the API sent it, for running it again. */
  raw: Record<string, unknown>;
}

export interface IFlavor {
  name: string;
  description: string;
  available: boolean;
}

function list(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

/** `JOB_STATE_RUNNING` → `RUNNING`. */
export function shortState(value: unknown): JobStateName {
  const s = str(value).replace(/^JOB_STATE_/, '');
  return (
    [
      'QUEUED',
      'PENDING',
      'RUNNING',
      'SUCCEEDED',
      'FAILED',
      'CANCELLED'
    ] as const
  ).includes(s as never)
    ? (s as JobStateName)
    : 'UNSPECIFIED';
}

export function parseJob(value: unknown): IJob | undefined {
  if (!isObject(value) || !str(value.name).startsWith('jobs/')) {
    return undefined;
  }
  const name = str(value.name);
  return {
    name,
    id: name.slice('jobs/'.length),
    displayName: str(value.displayName),
    flavor: str(value.flavor),
    command: Array.isArray(value.command) ? value.command.map(String) : [],
    notebook: str(value.notebook),
    state: shortState(value.state),
    events: list(value.events).map(e => ({
      state: shortState(e.state),
      reason: str(e.reason),
      message: str(e.message),
      time: str(e.time),
      attempt: Number(e.attempt ?? 0)
    })),
    owner: str(value.owner),
    createTime: str(value.createTime),
    startTime: str(value.startTime),
    endTime: str(value.endTime),
    image: str(value.image),
    attempt: Number(value.attempt ?? 0),
    inputs: list(value.inputs).map(i => ({
      ref: str(i.ref),
      path: str(i.path),
      snapshot: str(i.snapshot)
    })),
    outputs: list(value.outputs).map(o => ({
      path: str(o.path),
      dataset: str(o.dataset)
    })),
    outputSnapshots: Array.isArray(value.outputSnapshots)
      ? value.outputSnapshots.map(String)
      : [],
    codeDigest: str(value.codeDigest),
    raw: value
  };
}

/** Fields a client sets on a Job (job.proto); the rest is output only. */
const SPEC_FIELDS = [
  'displayName',
  'flavor',
  'command',
  'notebook',
  'workingFiles',
  'outputs',
  'resources',
  'env',
  'nodeSelector',
  'timeout',
  'maxRetries',
  'labels'
];

/**
 * The SubmitJob body that runs a job again: the same spec, and the same input snapshots (each input's ref
 * becomes the snapshot it resolved to, so "iris" does not silently mean a newer version).
 */
export function rerunBody(job: IJob): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key of SPEC_FIELDS) {
    if (job.raw[key] !== undefined) {
      body[key] = job.raw[key];
    }
  }
  body.inputs = job.inputs.map(i => {
    const m = /^datasets\/([^/]+)\/snapshots\/(.+)$/.exec(i.snapshot);
    return { ref: m ? `${m[1]}@${m[2]}` : i.ref, path: i.path };
  });
  return body;
}

export function isFinal(job: IJob): boolean {
  return FINAL_STATES.includes(job.state);
}

/** What the job runs, for a list row: its name, else its notebook, else its command. */
export function jobTitle(job: IJob): string {
  return job.displayName || job.notebook || job.command.join(' ');
}

/** Run time so far (or in total), as "12 s", "3 min 4 s", "2 h 5 min"; "" before it started. */
export function jobDuration(job: IJob, now: number = Date.now()): string {
  if (!job.startTime) {
    return '';
  }
  const end = job.endTime ? Date.parse(job.endTime) : now;
  const seconds = Math.max(
    0,
    Math.round((end - Date.parse(job.startTime)) / 1000)
  );
  if (seconds < 60) {
    return `${seconds} s`;
  }
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  }
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** "datasets/iris/snapshots/4f2a…" → "iris@4f2a9c1b". */
export function shortSnapshot(name: string): string {
  const m = /^datasets\/([^/]+)\/snapshots\/(.+)$/.exec(name);
  return m ? `${m[1]}@${m[2].slice(0, 8)}` : name;
}

/** The lineage line of an output: "model@4f2a9c1b ← jobs/job-x ← iris@0a1b2c3d". */
export function lineageLine(job: IJob, output: string): string {
  const inputs = job.inputs.map(i => shortSnapshot(i.snapshot)).join(', ');
  return `${shortSnapshot(output)} ← ${job.name}${inputs ? ` ← ${inputs}` : ''}`;
}

/** A snapshot's lineage as the dataset view draws it: "model@v2 ← jobs/job-x ← iris@0a1b2c3d". */
export function snapshotLineage(
  dataset: string,
  version: string,
  lineage: ILineage
): string {
  const inputs = lineage.inputs.map(shortSnapshot).join(', ');
  return `${dataset}@${version} ← ${lineage.job}${inputs ? ` ← ${inputs}` : ''}`;
}

/** The dataset id of "datasets/{id}/snapshots/…" or "datasets/{id}". */
export function datasetOf(name: string): string {
  return /^datasets\/([^/]+)/.exec(name)?.[1] ?? '';
}

/**
 * The ref that opens snapshot `name` (`datasets/x/snapshots/<id>`): its version when known, else its id —
 * never "" (which would open the draft instead of the snapshot).
 */
export function snapshotRef(
  name: string,
  versions: ReadonlyMap<string, string>
): string {
  return versions.get(name) ?? name.slice(name.lastIndexOf('/') + 1);
}

/** Splits "iris@v1:/data" or "model:/out" at the last ':' (the folder's leading '/' dropped). */
export function parseMapping(text: string): [string, string] | undefined {
  const at = text.lastIndexOf(':');
  if (at <= 0) {
    return undefined;
  }
  const thing = text.slice(0, at).trim();
  const folder = text
    .slice(at + 1)
    .trim()
    .replace(/^\/+|\/+$/g, '');
  return thing && folder ? [thing, folder] : undefined;
}

export interface IRunValues {
  /** Path of the script or notebook in the workspace (its name is its path in the job). */
  path: string;
  /** Its content, base64. */
  contentBase64: string;
  flavor: string;
  /** Lines like "iris@v1:/data". */
  inputs: string[];
  /** Lines like "model:/out". */
  outputs: string[];
  cpu: string;
  memory: string;
}

/** The SubmitJob body for a script or notebook; throws with the offending line for a bad mapping. */
export function buildRunRequest(values: IRunValues): JsonObject {
  const fileName = values.path.split('/').pop() ?? values.path;
  const pairs = (lines: string[], example: string): Array<[string, string]> =>
    lines
      .map(l => l.trim())
      .filter(l => l !== '')
      .map(l => {
        const pair = parseMapping(l);
        if (!pair) {
          throw new Error(`“${l}”: want something like ${example}`);
        }
        return pair;
      });
  const job: JsonObject = {
    flavor: values.flavor,
    workingFiles: [{ path: fileName, content: values.contentBase64 }],
    inputs: pairs(values.inputs, 'iris@v1:/data').map(([ref, path]) => ({
      ref,
      path
    })),
    outputs: pairs(values.outputs, 'model:/out').map(([ds, path]) => ({
      path,
      dataset: ds.startsWith('datasets/') ? ds : `datasets/${ds}`
    })),
    resources: { cpu: values.cpu.trim(), memory: values.memory.trim() }
  };
  if (fileName.endsWith('.ipynb')) {
    job.notebook = fileName;
  } else {
    job.command = ['python', fileName];
  }
  return job;
}

/** The text of an NDJSON log stream body ({"result": {"text": …}} per line). */
export function logText(body: string): string {
  let out = '';
  for (const line of body.split('\n')) {
    if (!line.trim()) {
      continue;
    }
    try {
      const item = JSON.parse(line) as JsonObject;
      if (isObject(item.result)) {
        out += str(item.result.text);
      }
    } catch {
      // a torn last line: the next poll reads it whole
    }
  }
  return out;
}

export class JobClient {
  constructor(
    private readonly _baseUrl: string,
    private readonly _transport: Transport
  ) {
    this._json = jsonRequester(_transport, _baseUrl);
  }

  private readonly _json: JsonRequester;

  /** The version (`v3`) of a snapshot resource name (`datasets/x/snapshots/…`). */
  snapshotVersion(name: string): Promise<DatasetResult<string>> {
    return this._json('GET', `v1/${name}`, undefined, b =>
      isObject(b) && typeof b.version === 'string' ? b.version : undefined
    );
  }

  listJobs(pageSize = 50): Promise<DatasetResult<IJob[]>> {
    return this._json('GET', `v1/jobs?pageSize=${pageSize}`, undefined, b =>
      isObject(b)
        ? list(b.jobs)
            .map(parseJob)
            .filter((j): j is IJob => j !== undefined)
        : undefined
    );
  }

  getJob(id: string): Promise<DatasetResult<IJob>> {
    return this._json(
      'GET',
      `v1/jobs/${encodeURIComponent(id)}`,
      undefined,
      parseJob
    );
  }

  cancelJob(id: string): Promise<DatasetResult<IJob>> {
    return this._json(
      'POST',
      `v1/jobs/${encodeURIComponent(id)}:cancel`,
      {},
      parseJob
    );
  }

  submitJob(job: JsonObject): Promise<DatasetResult<IJob>> {
    return this._json('POST', 'v1/jobs', job, parseJob);
  }

  listFlavors(): Promise<DatasetResult<IFlavor[]>> {
    return this._json('GET', 'v1/flavors', undefined, b =>
      isObject(b)
        ? list(b.flavors).map(f => ({
            name: str(f.name),
            description: str(f.description),
            available: f.available === true
          }))
        : undefined
    );
  }

  /** The log as it is now (the panel polls while the job runs). */
  async logs(id: string): Promise<DatasetResult<string>> {
    try {
      const response = await this._transport(
        proxiedUrl(this._baseUrl, `v1/jobs/${encodeURIComponent(id)}/logs`),
        { method: 'GET', cache: 'no-cache' }
      );
      const text = await response.text();
      if (!response.ok) {
        return { ok: false, failure: httpFailure(response, safeJson(text)) };
      }
      return { ok: true, value: logText(text) };
    } catch (error) {
      return { ok: false, failure: networkFailure(error) };
    }
  }
}
