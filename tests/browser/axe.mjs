// axe-core for the browser tests: injected with a CDP evaluate (page.evaluate of its source),
// which the page's CSP does not govern, so the page gets no <script> element it did not ask
// for. WCAG 2.0 and 2.1 A and AA plus axe's best practices.
//
// Not a test file itself (node --test only picks up *.test.mjs here).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const RULESETS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/** Runs axe on the whole document; fails listing every violation (id, impact, help, targets). */
export async function assertNoViolations(page, where) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async (runOnly) => {
    const result = await window.axe.run(document, { runOnly, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  }, RULESETS);
  const text = violations.map((v) => `  ${v.id} (${v.impact}): ${v.help}\n    ${v.targets.join('\n    ')}`).join('\n');
  assert.equal(violations.length, 0, `axe found ${violations.length} problem(s) on ${where}:\n${text}`);
}
