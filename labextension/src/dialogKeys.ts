/** Keyboard behaviour shared by kamld's dialogs. */
import type * as React from 'react';

/**
 * Enter in a dialog's text area presses the dialog's default button (JupyterLab's Dialog does that only for
 * inputs and selects); Shift+Enter, and Enter while an input method composes, still start a new line.
 */
export function submitOnEnter(
  event: React.KeyboardEvent<HTMLTextAreaElement>
): void {
  if (
    event.key !== 'Enter' ||
    event.shiftKey ||
    event.nativeEvent.isComposing
  ) {
    return;
  }
  const accept = event.currentTarget
    .closest('.jp-Dialog-content')
    ?.querySelector<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept');
  if (accept) {
    event.preventDefault();
    accept.click();
  }
}
