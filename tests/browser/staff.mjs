// Signs a staff member in with the keyboard in headless Chromium (Debian's), on a desktop screen
// and on a phone, opens each page of a journey, checks what it must and must not say, and runs
// axe-core (WCAG 2.2 A and AA) on every page.
//
//   node tests/browser/staff.mjs '{"base": "http://127.0.0.1:PORT", "email": "…", "password": "…",
//     "pages": [{"path": "/", "status": 200, "says": ["…"], "never": ["…"],
//                "fill": {"#reason": "…"}, "submit": "Button text", "then": {"status": 200, "says": […]}}]}'
//
// A step with `submit` types each `fill` into its field with the keyboard, presses the named
// button with Enter, and checks the page that comes back against `then`.
//
// Run by tests/api (see browser.rs; common.mjs for the browser and axe). Exit code 0 = every step
// held.
import { axe, axePath, fail, launch } from './common.mjs';

const cfg = JSON.parse(process.argv[2]);
const SCREENS = {
  desktop: { viewport: { width: 1280, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};
const checked = [];

const browser = await launch();
try {
  for (const [screen, options] of Object.entries(SCREENS)) {
    // The pages' CSP forbids injected scripts; it is bypassed only to load axe.
    const context = await browser.newContext({ ...options, bypassCSP: true });
    await context.addInitScript({ path: axePath });
    const page = await context.newPage();
    await page.goto(`${cfg.base}/login`);
    await axe(page, `sign-in (${screen})`);
    // By keyboard alone: the first Tab stops reach the e-mail field, then the password; Enter sends.
    for (let i = 0; i < 10 && !(await page.evaluate(() => document.activeElement?.id === 'email')); i++) {
      await page.keyboard.press('Tab');
    }
    if (!(await page.evaluate(() => document.activeElement?.id === 'email'))) fail('Tab never reaches the e-mail field');
    await page.keyboard.type(cfg.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(cfg.password);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
    if (page.url().endsWith('/login')) fail(`signing in as ${cfg.email} failed`);
    /// The page as it is now, against what it must (not) say; then axe and the width.
    async function check(response, expected, what) {
      if (response.status() !== (expected.status ?? 200)) fail(`${what} answered ${response.status()}, expected ${expected.status ?? 200}`);
      const text = await page.innerText('body');
      for (const needle of expected.says ?? []) {
        if (!text.includes(needle)) fail(`${what} does not say “${needle}”`);
      }
      for (const needle of expected.never ?? []) {
        if (text.includes(needle)) fail(`${what} says “${needle}”, which it must not`);
      }
      if ((await page.getAttribute('html', 'lang')) === null) fail(`${what} has no language`);
      await axe(page, what);
      // A phone browser widens its layout to fit content that overflows, so the page is measured
      // against the screen's width, not the window's.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth) - options.viewport.width;
      if (overflow > 1) fail(`${what} is ${overflow}px wider than the ${screen}'s screen: it scrolls sideways`);
      checked.push(what);
    }
    for (const step of cfg.pages) {
      const what = `${step.path} (${screen})`;
      await check(await page.goto(`${cfg.base}${step.path}`), step, what);
      if (!step.submit) continue;
      for (const [selector, value] of Object.entries(step.fill ?? {})) {
        await page.focus(selector);
        await page.keyboard.type(value);
      }
      await page.getByRole('button', { name: step.submit }).focus();
      const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
      await check(response, step.then ?? {}, `${what} after “${step.submit}”`);
    }
    await context.close();
  }
  console.log(JSON.stringify({ ok: true, pages_checked: checked.length, checked }));
} finally {
  await browser.close();
}
