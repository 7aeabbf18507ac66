// A statistician in headless Chromium, by keyboard: opens the exports page, downloads every file
// (each must arrive whole: CSV with its header, Parquet and the zip of all six with their magic bytes, the scripts), reads
// the codebook table, sends the analysis form with a week that is not a number and one before
// week 0 (each refused beside the field, the page opening at the analysis and its problems), then runs the analysis with ANCOVA chosen as primary and reads its report. axe-core checks every page; the
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
  const { page, checked, visited, open, type, press } = await desk(browser, cfg);
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

  // The analysis: a week that is not a number is refused; then it runs and its report opens.
  await type('#primary_week', 'twelve');
  await press('Run the analysis', { status: 422, says: ['The analysis did not run', 'give a whole number of weeks'] });
  await type('#primary_week', '-3');
  await press('Run the analysis', { status: 422, says: ['The analysis did not run', 'give a whole number of weeks, 0 or more'] });
  // The refused form opens at its own section, where the problems are, not at the top of the page.
  const problemsTop = await page.$eval('.form-problems', (e) => e.getBoundingClientRect().top);
  if (problemsTop < 0 || problemsTop > page.viewportSize().height) fail(`the analysis problems are out of view (top ${problemsTop})`);
  await type('#primary_week', '0');
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
