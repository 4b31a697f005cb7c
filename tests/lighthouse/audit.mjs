// Lighthouse audits of Greeter's three page states, as a visitor reaches them:
// the form (a navigation), the greeting and the form with an error (each a
// navigation made by submitting the form). Prints the four category scores of
// each, writes the full report to artifacts/, and exits non-zero when a score
// is under its bar.
//
//   node tests/lighthouse/audit.mjs [BASE_URL]     (default http://127.0.0.1:5000)
//
// Chromium comes from CHROME_PATH (default /usr/bin/chromium).
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import {startFlow} from 'lighthouse';

const base = (process.argv[2] || 'http://127.0.0.1:5000').replace(/\/$/, '');
const artifacts = path.resolve(import.meta.dirname, '../../artifacts');
const BARS = {performance: 95, accessibility: 100, 'best-practices': 100, seo: 100};

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage();
const flow = await startFlow(page, {name: 'Greeter'});

async function submit(name) {
  await page.locator('#id_username').fill(name);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/greet"] button')]);
}

await flow.navigate(`${base}/`, {name: 'form'});
await flow.navigate(() => submit('Ada'), {name: 'greeting'});
// The form with an error answers 422, and Lighthouse will not audit a
// navigation to a 4xx document (ERRORED_DOCUMENT_REQUEST). So the submission
// is recorded as a timespan (performance) and the page it leaves is audited as
// a snapshot (accessibility, best practices, SEO).
await page.goto(`${base}/`);
await flow.startTimespan({name: 'form with error'});
await submit('');
await flow.endTimespan();
await flow.snapshot({name: 'form with error'});

const result = await flow.createFlowResult();
fs.mkdirSync(artifacts, {recursive: true});
fs.writeFileSync(path.join(artifacts, 'lighthouse.html'), await flow.generateReport());
await browser.close();

// Which categories each kind of step can score: a timespan has no complete
// accessibility or SEO audit, and a snapshot no load performance.
const SCORED = {
  navigation: Object.keys(BARS),
  timespan: ['performance', 'best-practices'],
  snapshot: ['accessibility', 'best-practices', 'seo'],
};

// On the error page, Chrome logs the 422 status as "Failed to load resource";
// that entry is the status the form answers with by design, nothing else is allowed.
function isTheDeliberate422(item) {
  return item.source === 'network' && /status of 422/.test(item.description);
}

const rows = new Map();
let failed = false;
for (const step of result.steps) {
  const {lhr} = step;
  const row = rows.get(step.name) || {page: step.name};
  rows.set(step.name, row);
  for (const id of SCORED[lhr.gatherMode]) {
    const category = lhr.categories[id];
    const misses = category.auditRefs
      .map((ref) => ({ref, audit: lhr.audits[ref.id]}))
      .filter(({ref, audit}) => ref.weight > 0 && audit.score !== null && audit.score < 1);
    let score = Math.round(category.score * 100);
    if (lhr.gatherMode === 'timespan' && id === 'best-practices') {
      // Only the 422 entry may be in the console; then this category is
      // scored by the snapshot of the same page.
      const consoleAudit = lhr.audits['errors-in-console'];
      const others = (consoleAudit.details?.items || []).filter((i) => !isTheDeliberate422(i));
      const otherMisses = misses.filter(({ref}) => ref.id !== 'errors-in-console');
      if (others.length || otherMisses.length) {
        failed = true;
        console.error(`${step.name}: unexpected console entries or misses:`,
          JSON.stringify(others), otherMisses.map(({ref}) => ref.id).join(', '));
      }
      continue;
    }
    row[id] = score;
    if (score < BARS[id]) {
      failed = true;
      const names = misses.map(({ref, audit}) => `${ref.id} (${audit.displayValue || audit.score})`);
      console.error(`${step.name}: ${id} ${score} < ${BARS[id]}: ${names.join(', ')}`);
    }
  }
}
fs.writeFileSync(path.join(artifacts, 'lighthouse.json'), JSON.stringify([...rows.values()], null, 2));
console.log('| page | performance | accessibility | best practices | SEO |');
console.log('|---|---|---|---|---|');
for (const r of rows.values()) {
  console.log(`| ${r.page} | ${r.performance} | ${r.accessibility} | ${r['best-practices']} | ${r.seo} |`);
}
process.exit(failed ? 1 : 0);
