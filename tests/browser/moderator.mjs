// A moderator's week in headless Chromium, by keyboard: they sign in to their own groups, find the
// session waiting for attendance, send the form empty and with impossible minutes (both refused,
// beside the field), record it, read it back, correct one mark (refused without a reason, then
// saved with one), read each member's dose on the group page, and make their calendar address.
// axe-core checks every page; the pages reached are checked again on a phone, and once under the
// Content-Security-Policy as served.
//
//   node tests/browser/moderator.mjs '{"base": "…", "email": "…", "password": "…", "group": "…",
//     "session": "…", "members": 5}'
//
// Prints {"ok": true, "calendar": "https://…/calendar/….ics", "pages_checked": …}. Run by
// tests/api (moderator.rs).
import { desk, fail, launch, onPhone, underPolicy } from './common.mjs';

const cfg = JSON.parse(process.argv[2]);

const browser = await launch();
try {
  const { page, checked, visited, open, type, choose, press } = await desk(browser, cfg);
  // Signing in lands on their own groups, with the held sessions waiting for attendance.
  if (!page.url().endsWith('/groups')) fail(`a moderator lands on ${page.url()}, not their groups`);
  await open('/groups', { says: ['My groups', 'Attendance to record', 'Tuesday evening (EN), session 1', 'Next sessions'], never: ['Overview'] });
  await press(/Tuesday evening \(EN\), session 1,/, { says: ['Attendance: Tuesday evening (EN), session 1', 'Save the attendance'] }, 'link');
  const statuses = await page.$$eval('fieldset.choices', (els) => els.map((e) => e.id));
  if (statuses.length !== cfg.members) fail(`the form asks about ${statuses.length} members, not ${cfg.members}`);
  const pid = (field) => field.replace(/^status-/, '');

  // Nothing chosen, then minutes longer than the session: refused, beside the field.
  await press('Save the attendance', { status: 422, says: ['The attendance was not saved', 'for at least one member'] });
  await choose(statuses[0], 'absent');
  for (const field of statuses.slice(1)) await choose(field, 'present');
  await type(`#minutes-${pid(statuses[1])}`, '90');
  await press('Save the attendance', { status: 422, says: ['give a whole number of minutes from 0 to 45'] });
  if ((await page.getAttribute(`#minutes-${pid(statuses[1])}`, 'aria-invalid')) !== 'true') fail('the wrong minutes are not marked beside their field');
  if (!(await page.isChecked(`input[name="${statuses[0]}"][value="absent"]`))) fail('the refused form lost the choices made');
  await type(`#minutes-${pid(statuses[1])}`, '30');
  await press('Save the attendance', { says: ['Attendance saved.', 'Reason for the change'] });

  // Read back: what was saved is what the form shows.
  if (!(await page.isChecked(`input[name="${statuses[0]}"][value="absent"]`))) fail('the saved absence is not read back');
  if ((await page.inputValue(`#minutes-${pid(statuses[1])}`)) !== '30') fail('the saved minutes are not read back');

  // A correction: absent was a mistake, she had sent word. No reason is refused; one is kept.
  await choose(statuses[0], 'excused');
  await press('Save the attendance', { status: 422, says: ['The attendance was not saved', 'correction'] });
  await type('#reason', 'marked absent by mistake: she had told us');
  await press('Save the attendance', { says: ['Attendance saved.'] });
  if (!(await page.isChecked(`input[name="${statuses[0]}"][value="excused"]`))) fail('the correction is not read back');

  // The group: roster with each member's dose, sessions with how far attendance has come.
  await press('Back to Tuesday evening (EN)', { says: ['Members', 'Adequate dose', `${cfg.members} of ${cfg.members} marked`, `0 of ${cfg.members} marked`, 'Record attendance for session 2'] }, 'link');

  // Another group's page is not theirs to see.
  await open('/groups/00000000-0000-7000-8000-000000000000', { status: 404, says: ['Back to the groups'] });

  // The calendar address, made on the account page and shown once.
  await open('/account', { says: ['Calendar', 'You have no calendar address yet.'] });
  await press('Make my calendar address', { says: ['Your calendar address is shown this once', 'Subscribe in my calendar app'] });
  const calendar = (await page.innerText('#new-calendar')).trim();
  const webcal = await page.getAttribute('a[href^="webcal://"]', 'href');
  if (webcal !== calendar.replace(/^https?:\/\//, 'webcal://')) fail(`the subscribe link ${webcal} is not the address ${calendar}`);
  await open('/account', { says: ['no calendar app has read it yet'], never: [calendar] });

  await onPhone(browser, cfg, visited, checked);
  await underPolicy(browser, cfg, async (enforced) => {
    for (const path of ['/groups', `/groups/${cfg.group}`, `/sessions/${cfg.session}/attendance`, '/account']) {
      await enforced.goto(`${cfg.base}${path}`);
    }
  });

  console.log(JSON.stringify({ ok: true, calendar, pages_checked: checked.length, checked }));
} finally {
  await browser.close();
}
