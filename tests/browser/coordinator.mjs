// A coordinator's day in headless Chromium, by keyboard: screen an ineligible and an eligible
// caller (with a refused form first), enrol (refused, then fixed), record consent (a wrong
// signature first), randomise from two tabs at once, make a personal link with its QR code, search
// by phone, and withdraw someone. axe-core checks every page on a desktop; the pages reached are
// checked again on a phone; one last pass runs with the Content-Security-Policy enforced and fails
// on any violation it reports.
//
//   node tests/browser/coordinator.mjs '{"base": "…", "email": "…", "password": "…",
//     "person": {"name": "…", "email": "…", "phone": "…"}, "withdraw": "CON-0001", "overdue": "CON-0002"}'
//
// Prints {"ok": true, "study_id": …, "link": …, "pages_checked": …}. Run by tests/api
// (coordinator.rs).
import { desk, fail, launch, onPhone, underPolicy } from './common.mjs';

const cfg = JSON.parse(process.argv[2]);

const browser = await launch();
try {
  const { page, context, checked, visited, open, type, choose, pick, press } = await desk(browser, cfg);
  async function screening(answers) {
    await type('#c-age', String(answers.age));
    for (const id of ['has_ms', 'us_resident', 'video_access']) await choose(`c-${id}`, 'yes');
    await choose('c-attendance_commitment', 'yes');
  }

  // Screening: nothing answered is refused, with what was typed kept.
  await open('/screenings/new', { says: ['Screen a caller', 'How old are you?'] });
  await type('#referral_source', 'clinic');
  await press('Record the screening', { status: 422, says: ['The screening was not recorded', 'answer this question'] });
  if ((await page.inputValue('#referral_source')) !== 'clinic') fail('the refused screening lost the referral source');
  await screening({ age: 17 });
  await press('Record the screening', { says: ['Not eligible', 'How old are you?'], never: ['Enrol this person'] });
  // Entered wrongly: corrected with a reason (none given is refused), and judged again.
  await press('Correct this screening', { says: ['Correct a screening'] }, 'link');
  await type('#c-age', '71');
  await press('Correct the screening', { status: 422, says: ['say why'] });
  if ((await page.inputValue('#c-age')) !== '71') fail('the refused correction lost the typed age');
  await type('#reason', 'Age misheard on the call');
  await press('Correct the screening', { says: ['The screening was corrected', 'Eligible'] });
  await open('/screenings/new');
  await type('#referral_source', 'national_ms_society');
  await screening({ age: 45 });
  await press('Record the screening', { says: ['Eligible', 'Enrol this person'] });
  await press('Enrol this person', { says: ['Enrol a participant'] }, 'link');

  // Enrolment: a bad e-mail and no choices are refused beside their fields, the name kept.
  await type('#full_name', cfg.person.name);
  await type('#email', 'not-an-e-mail');
  await press('Enrol', { status: 422, says: ['The participant was not enrolled', 'choose one'] });
  if ((await page.inputValue('#full_name')) !== cfg.person.name) fail('the refused enrolment lost the name');
  await type('#email', cfg.person.email);
  await type('#phone', cfg.person.phone);
  await pick('#strata\\.race_ethnicity', 'black', 'black');
  await pick('#strata\\.newly_diagnosed', 'no', 'no');
  await pick('#race', 'Black', 'black');
  await pick('#ethnicity', 'Not', 'not_hispanic_latinx');
  await pick('#sex', 'Female', 'female');
  await pick('#age_band', '40', '40-49');
  await pick('#newly_diagnosed', 'No', 'no');
  await pick('#disease_course', 'Relapsing', 'relapsing_remitting');
  await press('Enrol', { says: ['Enrolled. Record consent next.', 'No consent recorded'] });
  const studyId = (await page.innerText('h1')).trim();

  // Consent: a signature that is not the name on record is refused beside the field.
  await type('#signature_name', 'Someone Else');
  await press('Record consent', { status: 422, says: ['Record consent to form'] });
  if ((await page.getAttribute('#signature_name', 'aria-invalid')) !== 'true') fail('the wrong signature is not marked beside its field');
  await type('#signature_name', cfg.person.name);
  await press('Record consent', { says: ['Consent recorded.', 'witnessed by staff'] });

  // The record corrected with a reason: the disease course was taken down wrongly.
  await press('Correct the record', { says: ['Correct the record of', 'Contact details', 'Study record'] }, 'link');
  await pick('#record-disease_course', 'Secondary', 'secondary_progressive');
  await press('Save the study record', { status: 422, says: ['Nothing was changed', 'say why'] });
  await type('#record-reason', 'Confirmed with her neurologist');
  await press('Save the study record', { says: ['The record was corrected.'] });

  // Randomise from two tabs: the second gets the first's allocation and says so.
  await press('Randomise', { says: ['Check these before you go on', 'Black or African American'] }, 'link');
  const second = await context.newPage();
  await second.goto(page.url());
  await press(`Randomise ${studyId} now`, { says: [`${studyId} is randomised`, 'Allocated to'] });
  await second.getByRole('button', { name: `Randomise ${studyId} now` }).focus();
  const [again] = await Promise.all([second.waitForNavigation({ waitUntil: 'load' }), second.keyboard.press('Enter')]);
  if (again.status() !== 200) fail(`the second tab's randomisation answered ${again.status()}`);
  if (!(await second.innerText('body')).includes('was already randomised: nothing new was allocated')) {
    fail('the second tab does not say the participant was already randomised');
  }
  await second.close();

  // A personal link, shown once, with its QR code.
  await open(`/participants/${studyId}`, { says: ['randomised', 'Baseline'] });
  await press('Make a new personal link', { says: ['New personal link', 'Shown this once'] });
  const link = (await page.innerText('#new-link')).trim();
  if (!/\/s\/[0-9a-f]{64}$/.test(link)) fail(`the new link looks wrong: ${link}`);
  if (!(await page.$('figure.qr svg'))) fail('the new link has no QR code');

  // Search by phone (audited), then the grid's work queues.
  await open(`/participants?q=${encodeURIComponent(cfg.person.phone)}`, { says: [studyId, 'Showing 1–1 of 1', 'kept in the audit trail'] });
  await open('/participants?status=randomised', { says: [studyId] });
  await open('/queues/awaiting_group');
  await open('/participants?need=unconsented');
  await open('/screenings', { says: ['Screening log', 'ineligible', 'enrolled'] });

  // The overdue queue: a contact attempt recorded from its row (a refused one first).
  await open('/queues/overdue', { says: [cfg.overdue, 'Baseline, target', 'none yet'] });
  await press(`Record a contact attempt with ${cfg.overdue}`, { says: [`Record a contact attempt with ${cfg.overdue}`] }, 'link');
  await press('Record the attempt', { status: 422, says: ['The attempt was not recorded', 'choose how you contacted them'] });
  await choose('channel', 'call');
  await choose('outcome', 'no_answer');
  await type('#note', 'Will try again on Friday');
  await press('Record the attempt', { says: ['Contact attempt recorded.', 'Phone call: No answer'] });
  await open(`/participants/${cfg.overdue}`, { says: ['Contact attempts', 'Will try again on Friday', 'past target'] });

  // On the phone with them: the baseline entered on their behalf (nothing chosen is refused
  // first), with an item-9 answer that raises the urgent safety alert; then one answer corrected.
  await press('Baseline', { says: ['Enter the answers on the participant', 'Declined to answer'] }, 'link');
  await press('Submit the answers on their behalf', { status: 422, says: ['Nothing was saved', 'choose an answer'] });
  const names = await page.$$eval('fieldset.choices input[type=radio]', (els) => [...new Set(els.map((e) => e.name))]);
  for (const name of names) await choose(name, name === 'phq9.phq9_9' ? '1' : '1');
  await press('Submit the answers on their behalf', { says: ['An urgent safety alert was raised', '988', 'entered by staff', 'PHQ-9'] });
  await pick('#item', 'PHQ9 phq9_1', 'phq9.phq9_1');
  await pick('#value', '3', '3');
  await type('#reason', 'Misheard on the call; confirmed with the participant');
  await press('Correct the answer', { says: ['The answer was corrected', 'Nearly every day'] });

  // Withdrawal: what stops is said first; a form with nothing chosen is refused.
  await open(`/participants/${cfg.withdraw}/withdraw`, { says: ['When you confirm, this stops at once', 'not applicable'] });
  await press(`Withdraw ${cfg.withdraw}`, { status: 422, says: ['The withdrawal was not recorded', 'say why', 'choose whether'] });
  await type('#reason', 'Moved abroad; asked to stop');
  await choose('keep_data', 'yes');
  await press(`Withdraw ${cfg.withdraw}`, { says: ['Withdrawal recorded', 'withdrawn'] });
  await context.close();

  // The same pages on a phone (pages that only answer a form are reached again by their address).
  await onPhone(browser, cfg, visited, checked);

  // Under the policy as served: the copy button's script runs and nothing is refused.
  await underPolicy(browser, cfg, async (enforced) => {
    await enforced.goto(`${cfg.base}/participants/${studyId}`);
    await enforced.getByRole('button', { name: 'Make a new personal link' }).focus();
    await Promise.all([enforced.waitForNavigation({ waitUntil: 'load' }), enforced.keyboard.press('Enter')]);
    await enforced.waitForTimeout(200);
    if (!(await enforced.isVisible('button[data-copy]'))) fail('the copy button did not appear: its script did not run under the policy');
    for (const path of ['/participants', `/participants/${studyId}`, '/screenings/new']) {
      await enforced.goto(`${cfg.base}${path}`);
    }
  });

  console.log(JSON.stringify({ ok: true, study_id: studyId, link, pages_checked: checked.length, checked }));
} finally {
  await browser.close();
}
