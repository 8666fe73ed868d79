/**
 * Makes a status-bar item's node act as a button: focusable, announced as a
 * button, run by a click or by Enter and Space.
 */
export function makeClickable(node: HTMLElement, onClick: () => void): void {
  node.setAttribute('role', 'button');
  node.tabIndex = 0;
  node.addEventListener('click', onClick);
  node.addEventListener('keydown', event => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onClick();
    }
  });
}
