/**
 * Which notebooks of the `kamld:` drive run beside their version's files, and
 * the line their kernels run for it (versionKernels.ts, docs/drive.md). No
 * JupyterLab imports: jest tests this directly.
 */
import { DRIVE_NAME, isDraftRef, parseDrivePath } from './drivePath';

/**
 * The drive path (`kamld:iris@v1/analysis.ipynb`) of a session whose notebook
 * is a file of a version or tag, else null (drafts change, other drives have
 * real folders).
 */
export function versionNotebookPath(sessionPath: string): string | null {
  const prefix = `${DRIVE_NAME}:`;
  if (!sessionPath.startsWith(prefix)) {
    return null;
  }
  try {
    const parsed = parseDrivePath(sessionPath.slice(prefix.length));
    if (parsed.kind !== 'ref' || isDraftRef(parsed.ref) || !parsed.path) {
      return null;
    }
  } catch {
    return null;
  }
  return sessionPath;
}

/** The Python the kernel runs, leaving no name behind in the user's namespace. */
export function enterCode(path: string): string {
  return `__import__("kamld.workdir").workdir.enter(${JSON.stringify(path)})`;
}
