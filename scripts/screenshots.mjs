// Screenshots of the staff pages for docs/screens/, taken from a running demo server (see
// scripts/screenshots.sh, which starts one). Signs in, sets the one-time password aside, opens
// each page on a desktop screen and writes `<name>.png`.
//
//   node scripts/screenshots.mjs '{"base": "…", "email": "…", "password": "…", "out": "docs/screens",
//                                  "pages": [{"name": "participants", "path": "/participants"}]}'
import { launch, signIn } from '../tests/browser/common.mjs';

const cfg = JSON.parse(process.argv[2]);
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${cfg.base}/login`);
  await signIn(page, cfg.email, cfg.password);
  if (page.url().endsWith('/account/password')) {
    await page.fill('#current_password', cfg.password);
    await page.fill('#new_password', `${cfg.password}-screens-1`);
    await Promise.all([page.waitForNavigation(), page.press('#new_password', 'Enter')]);
  }
  // A caller screened, enrolled and consented here, so that `{new}` has a randomise step to show.
  let fresh = '';
  if (cfg.pages.some((p) => p.path.includes('{new}'))) {
    await page.goto(`${cfg.base}/screenings/new`);
    await page.fill('#referral_source', 'clinic');
    await page.fill('#c-age', '52');
    for (const id of ['has_ms', 'us_resident', 'video_access']) await page.check(`input[name="c-${id}"][value="yes"]`);
    await page.check('input[name="c-attendance_commitment"][value="yes"]');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Record the screening' }).click()]);
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Enrol this person' }).click()]);
    await page.fill('#full_name', 'Rosa Martínez');
    await page.fill('#phone', '305 555 0110');
    const choices = { '#strata\\.race_ethnicity': 'latinx', '#strata\\.newly_diagnosed': 'no', '#race': 'white',
      '#ethnicity': 'hispanic_latinx', '#sex': 'female', '#age_band': '50-59', '#newly_diagnosed': 'no', '#disease_course': 'relapsing_remitting' };
    for (const [sel, value] of Object.entries(choices)) await page.selectOption(sel, value);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Enrol', exact: true }).click()]);
    fresh = (await page.innerText('h1')).trim();
    // She signs the consent form on her own link, on a phone: that page is photographed too.
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Make a new personal link' }).click()]);
    const link = (await page.innerText('#new-link')).trim();
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const own = await phone.newPage();
    // The link names the server's public address; this one serves on a spare port.
    await own.goto(`${cfg.base}${new URL(link).pathname}/consent`);
    await own.screenshot({ path: `${cfg.out}/econsent.png`, fullPage: true });
    console.log(`${cfg.out}/econsent.png`);
    await own.check('input[name="agree"]');
    await own.fill('#name', 'Rosa Martínez');
    await Promise.all([own.waitForNavigation(), own.locator('form[action$="/consent"] button').click()]);
    if (!(await own.innerText('body')).includes('You signed')) throw new Error('the e-consent was not recorded');
    await phone.close();
  }
  for (const shot of cfg.pages) {
    const response = await page.goto(`${cfg.base}${shot.path.replace('{new}', fresh)}`);
    if (response.status() !== 200) throw new Error(`${shot.path} answered ${response.status()}`);
    await page.screenshot({ path: `${cfg.out}/${shot.name}.png` });
    console.log(`${cfg.out}/${shot.name}.png`);
  }
  // Then the same account chooses Spanish on its account page, and a few pages are taken again.
  if ((cfg.spanish ?? []).length > 0) {
    await page.goto(`${cfg.base}/account`);
    await page.check('input[name="language"][value="es"]');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Save language' }).click()]);
    for (const shot of cfg.spanish) {
      const response = await page.goto(`${cfg.base}${shot.path}`);
      if (response.status() !== 200) throw new Error(`${shot.path} answered ${response.status()}`);
      await page.screenshot({ path: `${cfg.out}/${shot.name}.png` });
      console.log(`${cfg.out}/${shot.name}.png`);
    }
  }
  // Other roles' own pages (a moderator's, a statistician's), each signed in in a context of its own.
  for (const who of cfg.others ?? []) {
    const theirs = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const mod = await theirs.newPage();
    await mod.goto(`${cfg.base}/login`);
    await signIn(mod, who.email, who.password);
    if (mod.url().endsWith('/account/password')) {
      await mod.fill('#current_password', who.password);
      await mod.fill('#new_password', `${who.password}-screens-1`);
      await Promise.all([mod.waitForNavigation(), mod.press('#new_password', 'Enter')]);
    }
    for (const shot of who.pages) {
      const response = await mod.goto(`${cfg.base}${shot.path}`);
      if (response.status() !== 200) throw new Error(`${shot.path} answered ${response.status()}`);
      await mod.screenshot({ path: `${cfg.out}/${shot.name}.png`, fullPage: shot.full ?? false });
      console.log(`${cfg.out}/${shot.name}.png`);
    }
    await theirs.close();
  }
} finally {
  await browser.close();
}
