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

export const DESKTOP = { viewport: { width: 1280, height: 900 } };
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

/// A staff member's journey on a desktop, by keyboard: signs in, and gives the steps every journey
/// uses. Each page reached is checked (status, words, axe, width); pages reached by GET are kept in
/// `visited` for the phone pass.
export async function desk(browser, cfg) {
  const checked = [];
  const visited = new Set();
  // The pages' CSP forbids injected scripts; it is bypassed only to load axe.
  const context = await browser.newContext({ ...DESKTOP, bypassCSP: true });
  await context.addInitScript({ path: axePath });
  const page = await context.newPage();
  await page.goto(`${cfg.base}/login`);
  await signIn(page, cfg.email, cfg.password);

  async function check(response, expected, what) {
    await checkPage(page, response, expected, what, DESKTOP.viewport.width);
    checked.push(`${what} (desktop)`);
    if (response.request().method() === 'GET' && response.status() === 200) visited.add(new URL(page.url()).pathname + new URL(page.url()).search);
  }
  return {
    page, context, checked, visited, check,
    async open(path, expected = {}) {
      await check(await page.goto(`${cfg.base}${path}`), expected, path);
    },
    /// Types into a field as a person would: focus it, clear it, type.
    async type(selector, text) {
      await page.focus(selector);
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await page.keyboard.type(text);
    },
    /// A radio button chosen with the keyboard: focus it and press Space.
    async choose(name, value) {
      await page.focus(`input[name="${name}"][value="${value}"]`);
      await page.keyboard.press('Space');
    },
    /// A closed select set by typing the start of an option's label, as a keyboard user does.
    async pick(selector, label, value) {
      await page.focus(selector);
      await page.keyboard.type(label);
      const got = await page.$eval(selector, (e) => e.value);
      if (got !== value) fail(`typing “${label}” in ${selector} chose “${got}”, not “${value}”`);
    },
    /// Presses a button (or link) by its accessible name with Enter; checks the page that follows.
    async press(name, expected, role = 'button') {
      const what = `${new URL(page.url()).pathname} after “${name}”`;
      await page.getByRole(role, { name }).first().focus();
      const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
      await check(response, expected, what);
    },
  };
}

/// The pages a journey reached by GET, again on a phone (signed in afresh).
export async function onPhone(browser, cfg, visited, checked) {
  const phone = await browser.newContext({ ...PHONE, bypassCSP: true });
  await phone.addInitScript({ path: axePath });
  const small = await phone.newPage();
  await small.goto(`${cfg.base}/login`);
  await signIn(small, cfg.email, cfg.password);
  for (const path of visited) {
    const response = await small.goto(`${cfg.base}${path}`);
    await checkPage(small, response, {}, `${path} (phone)`, PHONE.viewport.width);
    checked.push(`${path} (phone)`);
  }
  await phone.close();
}

/// Pages under the Content-Security-Policy as served (no bypass): `visit(page)` walks them; any
/// violation Chromium reports fails the run.
export async function underPolicy(browser, cfg, visit) {
  const strict = await browser.newContext(DESKTOP);
  const enforced = await strict.newPage();
  const violations = [];
  enforced.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await enforced.goto(`${cfg.base}/login`);
  await signIn(enforced, cfg.email, cfg.password);
  await visit(enforced);
  await enforced.waitForTimeout(200);
  if (violations.length > 0) fail(`the Content-Security-Policy refused something:\n  ${violations.join('\n  ')}`);
  await strict.close();
}
