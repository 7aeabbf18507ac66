// Drives headless Chromium (Debian's) through a participant's whole visit — PHQ-9, GAD-7 and
// UCLA-3 — on a phone-sized screen, and runs axe-core (WCAG 2.2 A and AA) on every page.
//
//   node tests/browser/survey.mjs '{"base": "http://127.0.0.1:PORT", "token": "…", "lang": "es",
//                                    "answers": [1, 0, …], "safety_at": 9}'
//
// Run by tests/api/browser.rs, which prepares the participant and checks the database after
// (common.mjs for the browser and axe). Exit code 0 = every step held.
import { axe as axeCheck, axePath, fail, launch } from './common.mjs';

const cfg = JSON.parse(process.argv[2]);
const checked = [];

/// axe-core on the page (loaded by the context, `phoneContext`), counted as a page checked.
async function axe(page, what) {
  await axeCheck(page, what);
  checked.push(what);
}

/// Does something that loads a new page, and waits for that page.
async function nav(page, action) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
}

async function expectText(page, text, what) {
  const body = await page.textContent('body');
  if (!body.includes(text)) fail(`${what}: expected “${text}” on ${page.url()}`);
}

const browser = await launch();
// A phone: the size of an iPhone 14, touch, and the page's own CSP bypassed only to inject axe.
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, bypassCSP: true };
/// A phone's browser context with axe-core in every page it opens: registered once, instead of
/// sending the 500 kB script to the browser again for each of the visit's thirty pages (that
/// took half the test's time).
async function phoneContext() {
  const context = await browser.newContext(phone);
  await context.addInitScript({ path: axePath });
  return context;
}
try {
  const home = `${cfg.base}/s/${cfg.token}`;
  let context = await phoneContext();
  let page = await context.newPage();
  await page.goto(home);
  await axe(page, 'home (English)');
  if (cfg.lang === 'es') {
    await nav(page, () => page.getByRole('button', { name: 'Ver en español' }).click());
    if ((await page.getAttribute('html', 'lang')) !== 'es') fail('the page did not switch to Spanish');
    await expectText(page, 'Sus cuestionarios', 'home in Spanish');
    await axe(page, 'home (Spanish)');
  }
  const t = cfg.lang === 'es'
    ? { start: 'Empezar', resume: 'Continuar', next: 'Guardar y continuar', choose: 'Elija una respuesta', review: 'Revise sus respuestas', send: 'Enviar mis respuestas', thanks: 'Gracias', continue: 'Continuar el cuestionario', help: '988' }
    : { start: 'Start', resume: 'Continue', next: 'Save and continue', choose: 'Choose an answer', review: 'Check your answers', send: 'Send my answers', thanks: 'Thank you', continue: 'Continue the questionnaire', help: '988' };

  await nav(page, () => page.getByRole('link', { name: new RegExp(`^${t.start}`) }).click());
  // Continuing without an answer: a clear message tied to the question, and an accessible page.
  await nav(page, () => page.getByRole('button', { name: t.next }).click());
  await expectText(page, t.choose, 'the missing-answer message');
  await axe(page, 'question with a missing answer');

  const resumeAfter = cfg.resume_after ?? 5;
  for (let i = 0; i < cfg.answers.length; i++) {
    if (i === resumeAfter) {
      // Another device: a fresh browser with the same link resumes where the answers stopped.
      await context.close();
      context = await phoneContext();
      page = await context.newPage();
      await page.goto(home);
      await nav(page, () => page.getByRole('link', { name: new RegExp(`^${t.resume}`) }).click());
      const progress = await page.textContent('.progress-text');
      if (!progress.includes(String(i + 1))) fail(`resumed at “${progress}”, expected question ${i + 1}`);
      checked.push(`resumed at question ${i + 1} on a second device`);
    }
    await axe(page, `question ${i + 1}`);
    const radios = page.getByRole('radio');
    const value = cfg.answers[i];
    const options = await radios.evaluateAll((els) => els.map((e) => Number(e.value)));
    const index = options.indexOf(value);
    if (index < 0) fail(`question ${i + 1} offers ${options}, not ${value}`);
    if (i === 1) {
      // By keyboard alone: focus the choice, select it with Space, send with Enter.
      await radios.nth(index).focus();
      await page.keyboard.press('Space');
      await nav(page, () => page.keyboard.press('Enter'));
    } else {
      // A tap on the label (the large target), as on a phone.
      await page.locator('label.choice').nth(index).tap();
      await nav(page, () => page.getByRole('button', { name: t.next }).click());
    }
    if (cfg.safety_at === i + 1) {
      if (!page.url().includes('/help')) fail(`a safety answer at question ${i + 1} did not show crisis resources (${page.url()})`);
      await expectText(page, t.help, 'crisis resources');
      await axe(page, 'crisis resources after a safety answer');
      await nav(page, () => page.getByRole('link', { name: t.continue }).click());
    }
  }
  await expectText(page, t.review, 'the review page');
  await axe(page, 'review');
  await nav(page, () => page.getByRole('button', { name: t.send }).click());
  await expectText(page, t.thanks, 'the thank-you page');
  if (cfg.safety_at) await expectText(page, t.help, 'crisis resources on the thank-you page');
  await axe(page, 'thank you');
  await nav(page, () => page.goBack());
  await axe(page, 'a sent questionnaire revisited');
  await page.goto(`${cfg.base}/s/${cfg.token}/help`);
  await axe(page, 'help');
  await page.goto(`${cfg.base}/s/${'0'.repeat(64)}`);
  await expectText(page, 'This link does not work', 'an unknown link');
  await axe(page, 'an unknown link');
  console.log(JSON.stringify({ ok: true, pages_checked: checked.length, checked }));
} finally {
  // Playwright gives the browser a fresh profile folder of its own and removes it here.
  await browser.close();
}
