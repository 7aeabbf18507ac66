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

/// Signs in on the sign-in page with the keyboard alone: Tab until the e-mail field has focus,
/// type, Tab to the password, type, Enter.
export async function signIn(page, email, password) {
  for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement?.id === 'email')); i++) {
    await page.keyboard.press('Tab');
  }
  if (!(await page.evaluate(() => document.activeElement?.id === 'email'))) fail('Tab never reaches the e-mail field');
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  if (page.url().endsWith('/login')) fail(`signing in as ${email} failed`);
}

/// The page as it is now against what it must (not) say and its status; then axe, a language,
/// and the width: a phone browser widens its layout to fit content that overflows, so the page is
/// measured against the screen's width, not the window's.
export async function checkPage(page, response, expected, what, width) {
  const status = expected.status ?? 200;
  if (response.status() !== status) fail(`${what} answered ${response.status()}, expected ${status}`);
  const text = await page.innerText('body');
  for (const needle of expected.says ?? []) {
    if (!text.includes(needle)) fail(`${what} does not say “${needle}”`);
  }
  for (const needle of expected.never ?? []) {
    if (text.includes(needle)) fail(`${what} says “${needle}”, which it must not`);
  }
  if ((await page.getAttribute('html', 'lang')) === null) fail(`${what} has no language`);
  await axe(page, what);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth) - width;
  if (overflow > 1) fail(`${what} is ${overflow}px wider than the screen: it scrolls sideways`);
}
