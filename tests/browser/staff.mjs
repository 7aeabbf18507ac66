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
import { axe, axePath, checkPage, launch, signIn } from './common.mjs';

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
    await signIn(page, cfg.email, cfg.password);
    async function check(response, expected, what) {
      await checkPage(page, response, expected, what, options.viewport.width);
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
