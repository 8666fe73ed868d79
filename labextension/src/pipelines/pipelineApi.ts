/**
 * Typed client for the sidecar's PipelineService REST routes (proto/kamld/v1/pipeline.proto) through
 * Jupyter's proxy, and the pure helpers of the pipeline views. No JupyterLab imports: the transport is
 * handed in (a fake in jest).
 */
import {
  isObject,
  JsonObject,
  JsonRequester,
  jsonRequester,
  str
} from '../apiRequest';
import { DatasetResult, Transport } from '../datasetApi';

export type RunStateName =
  'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'UNSPECIFIED';

export type StepStateName =
  | 'WAITING'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'CACHED'
  | 'FAILED'
  | 'CANCELLED'
  | 'SKIPPED'
  | 'UNSPECIFIED';

const RUN_STATES: readonly RunStateName[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED'
];
const STEP_STATES: readonly StepStateName[] = [
  'WAITING',
  'RUNNING',
  'SUCCEEDED',
  'CACHED',
  'FAILED',
  'CANCELLED',
  'SKIPPED'
];

export interface IPipelineStep {
  name: string;
  state: StepStateName;
  dependsOn: string[];
  /** `jobs/{id}` of the latest attempt; empty for a cached step. */
  job: string;
  attempt: number;
  reasons: string[];
  /** `pipelineRuns/{id}` and `jobs/{id}` that made a cached step's outputs. */
  cachedFrom: string;
  cachedJob: string;
  /** Output folder → `datasets/{d}/snapshots/{s}`. */
  outputs: Record<string, string>;
  exportedEnv: string[];
  message: string;
  imageNote: string;
}

export interface IPipelineRun {
  /** `pipelineRuns/{id}`. */
  name: string;
  id: string;
  pipeline: string;
  state: RunStateName;
  message: string;
  owner: string;
  createTime: string;
  endTime: string;
  steps: IPipelineStep[];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      out[k] = str(v);
    }
  }
  return out;
}

function pick<T extends string>(
  value: unknown,
  prefix: string,
  states: readonly T[]
): T | 'UNSPECIFIED' {
  const s = str(value).replace(prefix, '');
  return states.includes(s as T) ? (s as T) : 'UNSPECIFIED';
}

export function parseStep(value: JsonObject): IPipelineStep {
  return {
    name: str(value.name),
    state: pick(value.state, 'PIPELINE_STEP_STATE_', STEP_STATES),
    dependsOn: strings(value.dependsOn),
    job: str(value.job),
    attempt: Number(value.attempt ?? 0),
    reasons: strings(value.reasons),
    cachedFrom: str(value.cachedFrom),
    cachedJob: str(value.cachedJob),
    outputs: stringMap(value.outputs),
    exportedEnv: strings(value.exportedEnv),
    message: str(value.message),
    imageNote: str(value.imageNote)
  };
}

export function parseRun(value: unknown): IPipelineRun | undefined {
  if (!isObject(value) || !str(value.name).startsWith('pipelineRuns/')) {
    return undefined;
  }
  const name = str(value.name);
  return {
    name,
    id: name.slice('pipelineRuns/'.length),
    pipeline: str(value.pipeline),
    state: pick(value.state, 'PIPELINE_RUN_STATE_', RUN_STATES),
    message: str(value.message),
    owner: str(value.owner),
    createTime: str(value.createTime),
    endTime: str(value.endTime),
    steps: (Array.isArray(value.steps) ? value.steps : [])
      .filter(isObject)
      .map(parseStep)
  };
}

export function isFinalRun(run: IPipelineRun): boolean {
  return run.state !== 'RUNNING';
}

/** The job whose log a step shows: its own, or for a cached step the one that made its outputs. */
export function logJob(step: IPipelineStep): string {
  return step.job || step.cachedJob;
}

/** The folder of a workspace path ("a/b/p.yaml" → "a/b"; "p.yaml" → ""). */
export function folderOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at < 0 ? '' : path.slice(0, at);
}

/** Whether a workspace path is a pipeline file by its extension. */
export function isPipelineFile(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

export class PipelineClient {
  constructor(baseUrl: string, transport: Transport) {
    this._json = jsonRequester(transport, baseUrl);
  }

  private readonly _json: JsonRequester;

  /**
   * Starts a run of a pipeline file of the workspace: its text, and the folder its working files are read
   * from by the sidecar (whose workspace is JupyterLab's root).
   */
  runPipeline(
    source: string,
    baseDir: string
  ): Promise<DatasetResult<IPipelineRun>> {
    return this._json('POST', 'v1/pipelineRuns', { source, baseDir }, parseRun);
  }

  getRun(id: string): Promise<DatasetResult<IPipelineRun>> {
    return this._json(
      'GET',
      `v1/pipelineRuns/${encodeURIComponent(id)}`,
      undefined,
      parseRun
    );
  }

  listRuns(pageSize = 50): Promise<DatasetResult<IPipelineRun[]>> {
    return this._json(
      'GET',
      `v1/pipelineRuns?pageSize=${pageSize}`,
      undefined,
      b =>
        isObject(b) && Array.isArray(b.runs ?? [])
          ? ((b.runs ?? []) as unknown[])
              .map(parseRun)
              .filter((r): r is IPipelineRun => r !== undefined)
          : undefined
    );
  }

  cancelRun(id: string): Promise<DatasetResult<IPipelineRun>> {
    return this._json(
      'POST',
      `v1/pipelineRuns/${encodeURIComponent(id)}:cancel`,
      {},
      parseRun
    );
  }
}
