// What the browser tests share: Chromium (Debian's) through playwright-core, and axe-core.
// TRIALDESK_BROWSER_MODULES names the folder holding node_modules (scripts/test.sh installs it);
// TRIALDESK_TEST_CHROMIUM the browser (default /usr/bin/chromium).
import { createRequire } from 'node:module';
import { join } from 'node:path';

const modules = process.env.TRIALDESK_BROWSER_MODULES;
if (!modules) throw new Error('TRIALDESK_BROWSER_MODULES is not set: run the tests with scripts/test.sh');
const require = createRequire(join(modules, 'node_modules', 'noop.js'));
const { chromium } = require('playwright-core');

/// axe-core's script, for `context.addInitScript({ path: axePath })`: loaded with each page of the
/// context instead of sent to the browser again for every check.
export const axePath = require.resolve('axe-core/axe.min.js');
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

export function fail(message) {
  throw new Error(message);
}

/// axe-core on the page as it is now (the context must load `axePath`): any WCAG 2.2 A/AA
/// violation fails the run.
export async function axe(page, what) {
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), WCAG);
  if (result.violations.length > 0) {
    const lines = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    fail(`axe found WCAG violations on ${what} (${page.url()}):\n  ${lines.join('\n  ')}`);
  }
}

/// Headless Chromium with nothing running in the background.
export function launch() {
  return chromium.launch({
    executablePath: process.env.TRIALDESK_TEST_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
