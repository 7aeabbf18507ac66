// A coordinator forms and runs a group in headless Chromium, by keyboard: makes a group (refused
// first: nothing filled in, then a meeting link that is not one), places the queue from the
// proposal board, starts the group below its minimum (refused without a reason), takes a member
// out (refused without a reason), moves one session and cancels another, and changes the group's
// meeting link with a reason. axe-core checks every page; the pages reached are checked again on
// a phone, and once under the Content-Security-Policy as served.
//
//   node tests/browser/groups.mjs '{"base": "…", "email": "…", "password": "…"}'
//
// Prints {"ok": true, "group": "<id>", "placed": [study ids], "removed": "CON-…", "pages_checked": …}.
// Run by tests/api (group_pages.rs).
import { desk, fail, launch, onPhone, underPolicy } from './common.mjs';

const cfg = JSON.parse(process.argv[2]);
const NAME = 'Tuesday evening (EN)';

const browser = await launch();
try {
  const { page, checked, visited, open, type, choose, pick, press } = await desk(browser, cfg);
  await open('/groups', { says: ['Groups', 'There are no groups yet.', 'Queue and proposal'] });
  await press('Make a new group', { says: ['New group', 'Video meeting link'] }, 'link');

  // Refused: nothing chosen; then a meeting link that is not a web address, the rest kept.
  await press('Make the group', { status: 422, says: ['The group was not made', 'must be 1 to 100 characters'] });
  await type('#name', NAME);
  await pick('#arm_id', 'Moderated', 'support_groups');
  await pick('#language', 'English', 'en');
  await pick('#moderator_id', 'Test', cfg.moderator);
  await type('#meeting_url', 'meet.example.org/tuesday');
  await pick('#weekday', 'Tuesday', '1');
  await type('#local_time', '18:30');
  await type('#start_date', '2031-02-11');
  await press('Make the group', { status: 422, says: ['must be a web address'] });
  if ((await page.inputValue('#name')) !== NAME) fail('the refused group lost its name');
  if ((await page.getAttribute('#meeting_url', 'aria-invalid')) !== 'true') fail('the bad link is not marked beside its field');
  await type('#meeting_url', 'https://meet.example.org/tuesday');
  await press('Make the group', { says: ['The group was made', NAME, 'https://meet.example.org/tuesday', 'forming'] });
  const group = new URL(page.url()).pathname.split('/')[2];

  // The board: everyone the proposal puts in the new group is placed.
  await open('/groups/queue', { says: ['Waiting for a group', 'Proposal', NAME, 'waiting'] });
  const placed = await page.$$eval(`select[name^="place-"]`, (els, g) => els.filter((e) => e.value === g).map((e) => e.labels[0].innerText.replace('Place ', '').replace(' in', '')), group);
  if (placed.length < 2) fail(`the proposal places only ${placed.length} people in the new group`);
  await press('Place these people', { says: [placed.length === 1 ? '1 person was placed.' : `${placed.length} people were placed.`, 'No group started yet.'] });

  // Started below its minimum: a reason is needed.
  await open(`/groups/${group}`, { says: ['Start the group', ...placed] });
  await press(`Start ${NAME} now`, { status: 422, says: ['The group did not start', 'say why'] });
  await type('#reason', 'Enough English speakers for a small first group');
  await press(`Start ${NAME} now`, { says: ['The group has started', 'running', 'Move or cancel session 12'] });

  // A member taken out, with a reason (none is refused).
  const removed = placed[0];
  await press(`Take ${removed} out of the group`, { says: [`Take ${removed} out of ${NAME}`] }, 'link');
  await press(`Take ${removed} out of the group`, { status: 422, says: ['Nothing was changed', 'say why'] });
  await type('#reason', 'Works evenings now; will join a later group');
  await press(`Take ${removed} out of the group`, { says: ['taken out of the group'], never: [`Take ${removed} out`] });
  // That page is gone now that they are no longer a member: not revisited on the phone.
  for (const path of [...visited]) if (path.includes('/members/')) visited.delete(path);

  // Session 2 moved a day later; session 12 cancelled.
  await press('Move or cancel session 2', { says: ['move or cancel', 'America/New_York'] }, 'link');
  const day = await page.inputValue('#date');
  const later = new Date(`${day}T12:00:00Z`);
  later.setUTCDate(later.getUTCDate() + 1);
  await type('#date', later.toISOString().slice(0, 10));
  await type('#time', '19:00');
  await press('Move session 2', { status: 422, says: ['The session was not changed', 'say why'] });
  await type('#reason', "Moderator's clinic runs late that Tuesday");
  await press('Move session 2', { says: ['The session was changed', "Moderator's clinic runs late that Tuesday"] });
  await press('Move or cancel session 12', { says: ['Cancel it'] }, 'link');
  await type('#cancel_reason', 'Public holiday');
  await press('Cancel session 12', { says: ['The session was changed', 'cancelled: Public holiday'] });

  // The meeting link changed, with a reason; the schedule is shown, not offered, now it runs.
  await press(`Change ${NAME}`, { says: ['These can no longer change here', 'Tuesdays at 18:30'] }, 'link');
  if (await page.$('#weekday')) fail('a running group still offers its weekday');
  await type('#meeting_url', 'https://meet.example.org/tuesday-2');
  await press('Save the changes', { status: 422, says: ['Nothing was changed', 'say why'] });
  await type('#reason', 'The video room was renamed');
  await press('Save the changes', { says: ['The group was changed', 'https://meet.example.org/tuesday-2'] });

  await onPhone(browser, cfg, visited, checked);
  await underPolicy(browser, cfg, async (enforced) => {
    for (const path of ['/groups', '/groups/queue', '/groups/new', `/groups/${group}`, `/groups/${group}/edit`]) {
      await enforced.goto(`${cfg.base}${path}`);
    }
  });
  console.log(JSON.stringify({ ok: true, group, placed, removed, pages_checked: checked.length, checked }));
} finally {
  await browser.close();
}
