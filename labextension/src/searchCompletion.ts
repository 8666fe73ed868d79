/** Completion of field values in the search box (no JupyterLab imports, for jest). */

/** `field:prefix` at the end of the text, the part a completion replaces. */
export function completionTarget(
  text: string
): { field: string; prefix: string; start: number } | null {
  const m = /(^|\s|-)(tag|owner|format|column):([^\s:"()]*)$/.exec(text);
  if (!m) {
    return null;
  }
  return { field: m[2], prefix: m[3], start: text.length - m[3].length };
}
