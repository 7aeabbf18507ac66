// A statistician in headless Chromium, by keyboard: opens the exports page, downloads every file
// (each must arrive whole: CSV with its header, Parquet and the zip of all six with their magic bytes, the scripts), reads
// the codebook table, finds the schedule's weeks in the analysis form with the protocol's primary
// one chosen, sends it with a week it does not offer (refused beside the field, the page opening
// at the analysis and its problems), then runs the analysis with ANCOVA chosen as primary and reads its report. axe-core checks every page; the
// exports page is checked again on a phone and under the Content-Security-Policy as served.
//
//   node tests/browser/statistician.mjs '{"base": "…", "email": "…", "password": "…", "blind": true}'
//
// Prints {"ok": true, "downloads": {name: bytes}, "pages_checked": …}. Run by tests/api (exports.rs).
import { readFileSync } from 'node:fs';
import { desk, fail, launch, onPhone, underPolicy } from './common.mjs';

const cfg = JSON.parse(process.argv[2]);
const FILES = ['long.csv', 'wide.csv', 'long.parquet', 'codebook.csv', 'load.R', 'load.do', 'all.zip'];

const browser = await launch();
try {
  const { page, checked, visited, open, pick, press } = await desk(browser, cfg);
  await open('/exports', { says: ['Exports and analysis', 'Codebook', 'participant_id', 'Run the analysis'] });
  if (cfg.blind && !(await page.innerText('body')).includes('Your role is kept blind')) fail('a blinded statistician is not told the files are blinded');

  const downloads = {};
  for (const name of FILES) {
    await page.getByRole('link', { name: `Download ${name}` }).focus();
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    const bytes = readFileSync(await download.path());
    if (bytes.length === 0) fail(`${name} arrived empty`);
    const head = bytes.subarray(0, 16).toString('latin1');
    if (name.endsWith('.csv') && !head.startsWith(name === 'codebook.csv' ? 'variable' : 'participant_id')) fail(`${name} starts “${head}”`);
    if (name.endsWith('.parquet') && !head.startsWith('PAR1')) fail(`${name} is not Parquet`);
    if (name.endsWith('.zip') && !head.startsWith('PK')) fail(`${name} is not a zip`);
    if (cfg.blind && name === 'long.csv' && /support_groups|waitlist/.test(bytes.toString('utf8'))) fail('the blinded long file names an arm');
    downloads[name] = bytes.length;
  }

  // The analysis: its weeks are the schedule's, the protocol's primary time point chosen first.
  if ((await page.inputValue('#baseline_week')) !== '0') fail('the baseline week is not the first of the schedule');
  if ((await page.inputValue('#primary_week')) !== '12') fail('the primary week is not the protocol\'s primary time point');
  // A week the list does not offer (a form edited by hand) is refused beside the field, and the
  // page opens at the analysis's problems, not at the top of the page.
  await page.$eval('#primary_week', (select) => { select.add(new Option('-3', '-3')); select.value = '-3'; });
  await press('Run the analysis', { status: 422, says: ['The analysis did not run', 'give a whole number of weeks, 0 or more'] });
  const problemsTop = await page.$eval('.form-problems', (e) => e.getBoundingClientRect().top);
  if (problemsTop < 0 || problemsTop > page.viewportSize().height) fail(`the analysis problems are out of view (top ${problemsTop})`);
  await pick('#primary_week', 'Week 0', '0');
  // ANCOVA as the primary analysis, chosen from the list by typing its name.
  await page.focus('#primary_model');
  await page.keyboard.type('ANCOVA');
  if ((await page.inputValue('#primary_model')) !== 'ancova') fail('typing ANCOVA did not choose it');
  await press('Run the analysis', { says: [...cfg.expect_report, 'Primary analysis.', 'the ANCOVA at each week, as chosen for this analysis'] });

  await onPhone(browser, cfg, visited, checked);
  await underPolicy(browser, cfg, async (enforced) => {
    await enforced.goto(`${cfg.base}/exports`);
  });
  console.log(JSON.stringify({ ok: true, downloads, pages_checked: checked.length, checked }));
} finally {
  await browser.close();
}
