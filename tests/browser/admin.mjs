// An administrator's staff accounts in headless Chromium, by keyboard: makes an account (a bad
// e-mail address refused first, the rest kept), reads its one-time password once, changes its
// role (refused without a reason), disables it and resets its password, each with a reason.
// axe-core checks every page; the pages reached are checked again on a phone, and once under the
// Content-Security-Policy as served. Then the safety contacts, in order, and the audit trail
// filtered by account and action, and verified; the protocol read, and an amendment uploaded as a
// file with a mistake (its line and column shown, nothing saved), then corrected; a failed message
// sent again from the outbox; and another account's API token revoked.
//
//   node tests/browser/admin.mjs '{"base": "…", "email": "…", "password": "…"}'
//
// Prints {"ok": true, "account": "<id>", "first": "<one-time password>", "reset": "<one-time password>"}.
// Run by tests/api (staff_pages.rs).
import { desk, fail, launch, onPhone, underPolicy } from './common.mjs';

const cfg = JSON.parse(process.argv[2]);
const NAME = 'Rosa Delgado';

const browser = await launch();
try {
  const { page, checked, visited, open, type, pick, press } = await desk(browser, cfg);
  /// A file chosen as a keyboard user does: focus the field, Space opens the chooser. Headless
  /// Chromium now and then lets a key press on a page just loaded go by without opening it: the
  /// key is pressed again, and if no chooser comes the file is set on the field, as a chooser would.
  async function upload(selector, path) {
    for (let attempt = 0; attempt < 2; attempt++) {
      await page.focus(selector);
      const chooser = page.waitForEvent('filechooser', { timeout: 5000 }).catch(() => null);
      await page.keyboard.press('Space');
      const opened = await chooser;
      if (opened) return opened.setFiles(path);
    }
    await page.setInputFiles(selector, path);
  }
  await open('/staff', { says: ['Staff accounts', 'New account', cfg.email] });
  await type('#email', 'rosa.delgado');
  await type('#display_name', NAME);
  await pick('#role', 'moderator', 'moderator');
  await press('Make the account', { status: 422, says: ['Nothing was saved', 'must be an e-mail address'] });
  if ((await page.inputValue('#display_name')) !== NAME) fail('the refused account lost its name');
  await type('#email', 'rosa.delgado@example.org');
  await press('Make the account', { says: ['The one-time password of rosa.delgado@example.org', NAME, 'has not chosen a password yet'] });
  const first = (await page.innerText('#new-password')).trim();
  if (first.length < 16) fail(`the one-time password looks wrong: ${first}`);

  await press(NAME, { says: [NAME, 'Name, role and sites', 'Reset the password'], never: [first] }, 'link');
  const account = new URL(page.url()).pathname.split('/')[2];
  await pick('#role', 'clinician', 'clinician');
  await press('Save the changes', { status: 422, says: ['Nothing was saved', 'say why'] });
  await type('#change-reason', 'Moves to the safety team');
  await press('Save the changes', { says: ['The account was changed', 'clinician'] });
  await type('#disable-reason', 'On leave until March');
  await press(`Disable ${NAME}`, { says: ['The account was disabled', 'Enable the account'] });
  await type('#password-reason', 'Forgot it before the leave');
  await press(`Reset the password of ${NAME}`, { says: ['The one-time password of rosa.delgado@example.org'] });
  const reset = (await page.innerText('#new-password')).trim();
  if (reset === first) fail('the reset made the same password');

  // The safety contacts in order: the same person twice is refused; then a clinician first and
  // this admin second.
  await open('/safety-contacts', { says: ['Safety contacts', 'First contact', 'Second contact'] });
  await pick('#place-1', cfg.clinician_label, cfg.clinician);
  await pick('#place-2', cfg.clinician_label, cfg.clinician);
  await press('Save the safety contacts', { status: 422, says: ['The safety contacts were not saved', 'the same person is chosen twice'] });
  await pick('#place-2', cfg.admin_label, cfg.admin);
  await press('Save the safety contacts', { says: ['The safety contacts were saved.'] });
  if ((await page.inputValue('#place-1')) !== cfg.clinician || (await page.inputValue('#place-2')) !== cfg.admin) fail('the saved order is not read back');

  // The audit trail: a date that is not one is refused; the account's changes are found by the
  // account's e-mail; the chain verifies.
  await open('/audit-trail', { says: ['Audit trail', 'Verify the chain'] });
  await type('#from', 'yesterday');
  await press('Show these entries', { status: 422, says: ['The entries were not shown', 'must be a date such as 2027-03-01'] });
  await type('#from', '');
  await type('#account', cfg.email);
  await type('#action', 'update');
  await press('Show these entries', { says: ['Moves to the safety team', 'On leave until March'], never: ['Forgot it before the leave'] });
  await press('Verify the chain', { says: ['The chain is intact'] });

  // The protocol: the version in force read; an amendment with a mistake is refused with the
  // problem's line and column; the corrected file becomes version 2, and what changed is shown.
  await open('/protocol', { says: ['Version 1 is in force', 'Arms', 'Eligibility', 'Schedule of questionnaires', 'History'] });
  await press('Amend the protocol', { says: ['Amend the protocol', 'Check and save as version 2'] }, 'link');
  await upload('#file', cfg.protocol_bad);
  await type('#reason', 'Larger sample, IRB ref 2027-114');
  await press('Check and save as version 2', { status: 422, says: ['The amendment was not saved', 'Problems in connect-v2.toml', cfg.bad_at, '"gad-7"'] });
  if ((await page.inputValue('#reason')) !== 'Larger sample, IRB ref 2027-114') fail('the refused amendment lost its reason');
  await upload('#file', cfg.protocol_good);
  await press('Check and save as version 2', { says: ['Version 2 is now in force.', 'What changed between two versions', '- target = 80', '+ target = 96'] });
  await open('/protocol', { says: ['Version 2 is in force', 'Larger sample, IRB ref 2027-114', '96'] });

  // The outbox: the message the mail server refused, why, and sent again.
  await open('/outbox?status=failed', { says: ['Outbox', 'could not connect to the SMTP server', cfg.failed_to] });
  // At 1280 px every column is in view: times wrap after their date instead of widening the table.
  const table = await page.evaluate(() => { const r = document.querySelector('.table-scroll'); return [r.scrollWidth, r.clientWidth]; });
  if (table[0] > table[1]) fail(`the outbox table is ${table[0]} px wide in a region of ${table[1]} px at 1280 px`);
  await press(`Send again: welcome to ${cfg.failed_to}`, { says: ['The message is waiting to be sent again'] });

  // Another account's API token, seen and revoked.
  await open(`/staff/${cfg.coordinator}`, { says: ['API tokens', cfg.token_name] });
  await press(`Revoke the token ${cfg.token_name}`, { says: ['The token is revoked; it no longer works.'] });

  await onPhone(browser, cfg, visited, checked);
  await underPolicy(browser, cfg, async (enforced) => {
    for (const path of ['/staff', `/staff/${account}`, '/safety-contacts', '/audit-trail', '/protocol', '/protocol/amend', '/protocol/changes', '/outbox']) await enforced.goto(`${cfg.base}${path}`);
  });
  console.log(JSON.stringify({ ok: true, account, first, reset, pages_checked: checked.length, checked }));
} finally {
  await browser.close();
}
