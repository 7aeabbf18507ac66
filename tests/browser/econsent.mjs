// A participant signs the consent form on their own link, on a phone, with the keyboard alone:
// the link's home → the form → a submit without ticking (the problem beside the box, the name
// kept) → tick, sign → "you signed". axe-core (WCAG 2.2 A and AA) on every page; one pass in
// Spanish when asked.
//
//   node tests/browser/econsent.mjs '{"base": "http://127.0.0.1:PORT", "token": "…", "lang": "es",
//                                      "name": "Ana Lucía Pérez"}'
//
// Run by tests/api/coordinator.rs, which reads the PDF copy from the SMTP sink after.
import { axe as axeCheck, axePath, fail, launch } from './common.mjs';

const cfg = JSON.parse(process.argv[2]);
const checked = [];

async function axe(page, what) {
  await axeCheck(page, what);
  checked.push(what);
}

async function nav(page, action) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
}

/// Tabs until `focused` holds for the element with focus (at most 40 presses).
async function tabTo(page, focused, what) {
  for (let i = 0; i < 40; i++) {
    if (await page.evaluate(focused)) return;
    await page.keyboard.press('Tab');
  }
  fail(`Tab never reaches ${what} on ${page.url()}`);
}

async function expectText(page, text, what) {
  const body = await page.textContent('body');
  if (!body.includes(text)) fail(`${what}: expected “${text}” on ${page.url()}`);
}

const t = cfg.lang === 'es'
  ? { card: 'Formulario de consentimiento', missing: 'Marque la casilla', signed: 'Usted firmó', copy: 'copia en PDF' }
  : { card: 'Consent form', missing: 'Tick the box', signed: 'You signed', copy: 'PDF copy' };

/// The consent form's own submit button (the header's language button comes earlier in the page).
const isSignButton = () => document.activeElement?.tagName === 'BUTTON' && document.activeElement.closest('form')?.getAttribute('action')?.endsWith('/consent');

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, bypassCSP: true });
  await context.addInitScript({ path: axePath });
  const page = await context.newPage();
  await page.goto(`${cfg.base}/s/${cfg.token}`);
  // The link opens in the participant's own language; switch when another is asked for.
  if ((await page.getAttribute('html', 'lang')) !== cfg.lang) {
    await nav(page, () => page.getByRole('button', { name: cfg.lang === 'es' ? 'Ver en español' : 'View in English' }).click());
  }
  await expectText(page, t.card, 'the consent card on the home page');
  await axe(page, 'home with a consent form to sign');

  await tabTo(page, () => document.activeElement?.getAttribute('href')?.endsWith('/consent'), 'the consent link');
  await nav(page, () => page.keyboard.press('Enter'));
  await axe(page, 'the consent form');

  // The name typed, the box not ticked: the form again, the name kept, the box marked.
  await tabTo(page, () => document.activeElement?.id === 'name', 'the name field');
  await page.keyboard.type(cfg.name);
  await tabTo(page, isSignButton, 'the sign button');
  await nav(page, () => page.keyboard.press('Enter'));
  await expectText(page, t.missing, 'the missing tick');
  if ((await page.inputValue('#name')) !== cfg.name) fail('the typed name was lost');
  if ((await page.getAttribute('input[name=agree]', 'aria-invalid')) !== 'true') fail('the box is not marked invalid');
  await axe(page, 'the consent form with a problem');

  await tabTo(page, () => document.activeElement?.getAttribute('name') === 'agree', 'the agree box');
  await page.keyboard.press('Space');
  await tabTo(page, isSignButton, 'the sign button');
  await nav(page, () => page.keyboard.press('Enter'));
  await expectText(page, t.signed, 'the signed page');
  await expectText(page, t.copy, 'the copy on its way');
  await axe(page, 'the signed consent form');
  console.log(JSON.stringify({ ok: true, pages_checked: checked.length, checked }));
} finally {
  await browser.close();
}
