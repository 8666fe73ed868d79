/**
 * axe-core on one of kamld's views: the serious and critical violations inside `selector`, each as
 * "rule: targets" (JupyterLab's own chrome around the view is not under test).
 */
import AxeBuilder from '@axe-core/playwright';
import { Page } from '@playwright/test';

export async function seriousAxeViolations(
  page: Page,
  selector: string
): Promise<string[]> {
  const result = await new AxeBuilder({ page }).include(selector).analyze();
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`);
}
