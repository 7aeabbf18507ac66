// Two-step sign-in in headless Chromium, by keyboard: a coordinator whose role needs it signs in
// with the password, is sent to set it up, reads the key off the page into an authenticator (the
// RFC 6238 generator below, written apart from the server's), turns it on with a code, keeps the
// recovery codes, signs out, and signs in again with the password and then a code: a wrong one
// first, then a recovery code. axe-core on every page, on a desktop and a phone screen.
//
//   node tests/browser/two_factor.mjs '{"base": "http://127.0.0.1:PORT", "email": "…", "password": "…"}'
//
// Prints {"ok": true, "secret": …, "recovery_codes": n, …}; exit code 0 = every step held.
import { createHmac } from 'node:crypto';
import { DESKTOP, PHONE, axePath, checkPage, fail, launch, signIn } from './common.mjs';

const cfg = JSON.parse(process.argv[2]);

/// RFC 4648 base32, as authenticator apps read a typed key (spaces ignored).
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    const index = alphabet.indexOf(c);
    if (index < 0) fail(`“${c}” is not base32`);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/// The 6-digit code for `key` at `unix` seconds (RFC 6238 with SHA-1 and 30-second steps).
function totp(key, unix) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unix / 30)));
  const mac = createHmac('sha1', base32(key)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  const n = (((mac[at] & 0x7f) << 24) | (mac[at + 1] << 16) | (mac[at + 2] << 8) | mac[at + 3]) % 1000000;
  return String(n).padStart(6, '0');
}

/// A code of a time step after `usedStep` (the server takes each step's code once), made when it
/// is typed: waits for the next step if the current one is used.
async function freshCode(key, usedStep) {
  for (;;) {
    const now = Date.now() / 1000;
    if (Math.floor(now / 30) > usedStep) return totp(key, now);
    await new Promise((resolve) => setTimeout(resolve, ((usedStep + 1) * 30 - now) * 1000 + 250));
  }
}

const checked = [];
const browser = await launch();
try {
  const context = await browser.newContext({ ...DESKTOP, bypassCSP: true });
  await context.addInitScript({ path: axePath });
  const page = await context.newPage();
  async function check(response, expected, what) {
    await checkPage(page, response, expected, what, DESKTOP.viewport.width);
    checked.push(what);
  }
  async function press(name, expected, what) {
    await page.getByRole('button', { name }).first().focus();
    const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
    await check(response, expected, what);
  }
  async function type(selector, text) {
    await page.focus(selector);
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type(text);
  }

  await check(await page.goto(`${cfg.base}/login`), {}, 'sign-in');
  await signIn(page, cfg.email, cfg.password);
  // The role needs two steps: every page leads to setting them up.
  if (!page.url().endsWith('/account/two-factor')) fail(`after the password the page is ${page.url()}, not set-up`);
  await check(await page.goto(`${cfg.base}/participants`), { says: ['Set it up to continue'] }, 'a page before set-up');
  if (!page.url().endsWith('/account/two-factor')) fail('a page other than set-up opened before set-up');
  await press('Set up two-step sign-in', { says: ['scan this code', 'type this key'] }, 'set-up: the key');
  const name = await page.getAttribute('figure.qr', 'aria-label');
  if (!name) fail('the QR code has no accessible name');
  const key = (await page.innerText('#secret')).trim();
  const at = Date.now() / 1000;
  await type('#code', totp(key, at) === '000000' ? '111111' : '000000');
  await press('Turn on two-step sign-in', { status: 422, says: ['not the code the app shows now'] }, 'set-up: a wrong code');
  await type('#code', totp(key, at));
  await press('Turn on two-step sign-in', { says: ['Two-step sign-in is on', 'Your recovery codes'] }, 'set-up: on');
  const codes = (await page.innerText('#recovery-codes')).split('\n').map((c) => c.trim()).filter(Boolean);
  if (codes.length !== 10) fail(`${codes.length} recovery codes shown, not 10: ${codes}`);
  await check(await page.goto(`${cfg.base}/account/two-factor`), { says: ['You have 10 unused recovery codes'], never: [codes[0]] }, 'two-step sign-in, on');
  await check(await page.goto(`${cfg.base}/account`), { says: ['On: you sign in with your password and a code'] }, 'account');
  await press('Sign out', {}, 'signed out');

  // Again: the password, then the code page.
  await signIn(page, cfg.email, cfg.password);
  if (!page.url().endsWith('/login/code')) fail(`after the password the page is ${page.url()}, not the code`);
  await check(await page.goto(`${cfg.base}/login/code`), { says: ['Enter your sign-in code'] }, 'the code page');
  // The code that turned it on was used already: it is refused.
  await type('#code', totp(key, at));
  await press('Sign in', { status: 401, says: ['wrong or was used already'] }, 'a used code');
  if ((await page.getAttribute('#code', 'aria-invalid')) !== 'true') fail('the refused code field is not marked invalid');
  await type('#code', codes[0]);
  await press('Sign in', { says: ['Sign out'] }, 'signed in with a recovery code');
  await check(await page.goto(`${cfg.base}/account/two-factor`), { says: ['You have 9 unused recovery codes'] }, 'one code used');
  await press('Sign out', {}, 'signed out again');
  await signIn(page, cfg.email, cfg.password);
  await type('#code', await freshCode(key, Math.floor(at / 30)));
  await press('Sign in', { says: ['Sign out'] }, 'signed in with the next code');
  await context.close();

  // The code page on a phone.
  const phone = await browser.newContext({ ...PHONE, bypassCSP: true });
  await phone.addInitScript({ path: axePath });
  const small = await phone.newPage();
  await small.goto(`${cfg.base}/login`);
  await signIn(small, cfg.email, cfg.password);
  await checkPage(small, await small.goto(`${cfg.base}/login/code`), { says: ['Enter your sign-in code'] }, 'the code page (phone)', PHONE.viewport.width);
  checked.push('the code page (phone)');
  await phone.close();
  console.log(JSON.stringify({ ok: true, secret: key, recovery_codes: codes.length, pages_checked: checked.length, checked }));
} finally {
  await browser.close();
}
