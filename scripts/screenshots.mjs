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
  for (const shot of cfg.pages) {
    const response = await page.goto(`${cfg.base}${shot.path}`);
    if (response.status() !== 200) throw new Error(`${shot.path} answered ${response.status()}`);
    await page.screenshot({ path: `${cfg.out}/${shot.name}.png` });
    console.log(`${cfg.out}/${shot.name}.png`);
  }
} finally {
  await browser.close();
}
