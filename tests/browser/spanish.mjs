// The staff pages in Spanish. A coordinator chooses Spanish on their account page with the
// keyboard; then every page given is checked in Spanish: `lang="es"`, axe-core clean at desktop
// width (the listed phone pages at phone width too), no Fluent key showing where a phrase is
// missing, and no phrase of the English locale left on the page. A refused form answers in
// Spanish, and after signing out the sign-in page still speaks it.
//
//   node tests/browser/spanish.mjs '{"base": "…", "email": "…", "password": "…",
//     "pages": ["/", …], "phone": ["/participants", …], "refused": "/screenings/new",
//     "admin": {"email": "…", "password": "…", "pages": ["/unblinding/…"]}}'
//
// The admin's account was set to Spanish through the API before the run. Prints {"ok": true,
// "pages_checked": N}. Run by tests/api (spanish.rs).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { axePath, checkPage, fail, launch, signIn } from './common.mjs';

const cfg = JSON.parse(process.argv[2]);
const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: 'en-US' };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'en-US' };
const locales = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'locales');

/// key → single-line message of one language's .ftl files.
function messages(lang) {
  const out = new Map();
  for (const file of readdirSync(join(locales, lang)).filter((f) => f.endsWith('.ftl'))) {
    for (const line of readFileSync(join(locales, lang, file), 'utf8').split('\n')) {
      const m = /^([a-z][a-z0-9_-]*) = (.+)$/.exec(line);
      if (m) out.set(m[1], m[2].trim());
    }
  }
  return out;
}
const en = messages('en');
const es = messages('es');
// English phrases that would betray an untranslated page: whole sentences or labels of a few
// words, without placeholders, that Spanish says differently.
const english = [...en].filter(([k, v]) => !v.includes('{') && v.includes(' ') && v.length >= 12 && es.get(k) !== v).map(([, v]) => v);
const keys = new Set(en.keys());

let checked = 0;
async function inSpanish(page, response, what, width, expected = {}) {
  await checkPage(page, response, expected, what, width);
  const lang = await page.getAttribute('html', 'lang');
  if (lang !== 'es') fail(`${what} is in “${lang}”, not Spanish`);
  // Parts marked as another language (the trial report's English body, a language's own
  // name) are left out of the English check.
  const text = await page.evaluate(() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll('[lang]:not([lang="es"])').forEach((e) => e.remove());
    document.documentElement.append(body);
    const seen = body.innerText;
    body.remove();
    return seen;
  });
  const raw = (text.match(/\b[a-z][a-z0-9]*(?:-[a-z0-9]+)+\b/g) ?? []).filter((w) => keys.has(w));
  if (raw.length > 0) fail(`${what} shows Fluent keys instead of phrases: ${[...new Set(raw)].join(', ')}`);
  const left = english.filter((phrase) => text.includes(phrase));
  if (left.length > 0) fail(`${what} still says in English: ${left.map((p) => `“${p}”`).join(', ')}`);
  // English written straight into a template or handler is in no locale: its small words give it
  // away (none of them is a Spanish word).
  const words = text.match(/.{0,30}\b(the|your|this|with|and|of)\b.{0,30}/gi);
  if (words) fail(`${what} has English words outside the locales: ${words.map((w) => `“${w}”`).join(', ')}`);
  checked += 1;
}

const browser = await launch();
try {
  // The pages' CSP forbids injected scripts; it is bypassed only to load axe.
  const context = await browser.newContext({ ...DESKTOP, bypassCSP: true });
  await context.addInitScript({ path: axePath });
  const page = await context.newPage();
  await page.goto(`${cfg.base}/login`);
  if ((await page.getAttribute('html', 'lang')) !== 'en') fail('an English browser is not greeted in English');
  await signIn(page, cfg.email, cfg.password);

  // The account page: choose Spanish with the keyboard and save.
  await page.goto(`${cfg.base}/account`);
  await page.focus('input[name="language"][value="es"]');
  await page.keyboard.press('Space');
  await page.getByRole('button', { name: 'Save language' }).focus();
  const [saved] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  await inSpanish(page, saved, 'the account page after choosing Spanish', DESKTOP.viewport.width, { says: [es.get('account-language-saved')] });

  for (const path of cfg.pages) {
    await inSpanish(page, await page.goto(`${cfg.base}${path}`), path, DESKTOP.viewport.width, { status: path.includes('missing') ? 404 : 200 });
  }

  // A form sent empty comes back in Spanish, with its problems beside the fields.
  await page.goto(`${cfg.base}${cfg.refused}`);
  await page.locator('main form button[type="submit"]').last().focus();
  const [refused] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  await inSpanish(page, refused, `${cfg.refused} sent empty`, DESKTOP.viewport.width, { status: 422 });

  // The same session on a phone (the cookie carries over).
  const phone = await browser.newContext({ ...PHONE, bypassCSP: true, storageState: await context.storageState() });
  await phone.addInitScript({ path: axePath });
  const small = await phone.newPage();
  for (const path of cfg.phone) {
    await inSpanish(small, await small.goto(`${cfg.base}${path}`), `${path} on a phone`, PHONE.viewport.width);
  }
  await phone.close();

  // Signing out: the sign-in page keeps the account's language.
  await page.goto(`${cfg.base}/`);
  await page.getByRole('button', { name: es.get('nav-sign-out') }).focus();
  const [out] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  await inSpanish(page, out, 'the sign-in page after signing out', DESKTOP.viewport.width);
  await context.close();

  // An admin whose account speaks Spanish (set through the API) reads the pages only admins reach.
  const admin = await browser.newContext({ ...DESKTOP, bypassCSP: true });
  await admin.addInitScript({ path: axePath });
  const adminPage = await admin.newPage();
  await adminPage.goto(`${cfg.base}/login`);
  await signIn(adminPage, cfg.admin.email, cfg.admin.password);
  for (const path of cfg.admin.pages) {
    await inSpanish(adminPage, await adminPage.goto(`${cfg.base}${path}`), `${path} (admin)`, DESKTOP.viewport.width);
  }
  await admin.close();
  console.log(JSON.stringify({ ok: true, pages_checked: checked }));
} finally {
  await browser.close();
}
