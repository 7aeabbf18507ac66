// An administrator's staff accounts in headless Chromium, by keyboard: makes an account (a bad
// e-mail address refused first, the rest kept), reads its one-time password once, changes its
// role (refused without a reason), disables it and resets its password, each with a reason.
// axe-core checks every page; the pages reached are checked again on a phone, and once under the
// Content-Security-Policy as served. Then the safety contacts, in order, and the audit trail
// filtered by account and action, and verified.
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

  await onPhone(browser, cfg, visited, checked);
  await underPolicy(browser, cfg, async (enforced) => {
    for (const path of ['/staff', `/staff/${account}`, '/safety-contacts', '/audit-trail']) await enforced.goto(`${cfg.base}${path}`);
  });
  console.log(JSON.stringify({ ok: true, account, first, reset, pages_checked: checked.length, checked }));
} finally {
  await browser.close();
}
