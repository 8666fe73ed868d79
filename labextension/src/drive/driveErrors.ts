/**
 * Error messages of the drive as the user reads them in JupyterLab's dialogs:
 * the server's own message with what was being done.
 */
import { httpFailure } from '../apiRequest';
import type { IDatasetApiFailure } from '../datasetApi';

/** The message of a failed raw request: the sidecar's Status message, or Jupyter's. */
export function failureMessage(
  response: { status: number; statusText: string },
  body: unknown,
  what: string
): string {
  return `${what}: ${httpFailure(response, body).message}`;
}

/** The failure of an API call as an Error naming what was being done. */
export function apiError(failure: IDatasetApiFailure, what: string): Error {
  return new Error(`${what}: ${failure.message}`);
}
