// Impact and planning on the demo district: the public dashboard on a phone (charts with their
// table alternatives, a filter, a refused period in Italian), the annual report on a desktop
// and in print, an organisation's admin answering the survey, and a coordinator running and
// comparing relocalisation scenarios. axe on every page; no page scrolls sideways on a phone.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  COORDINATOR, PHONE, assertNoHorizontalScroll, axeCheck, launch, newPage, organisationAdmins, signIn,
  submitAndWait as submit, unique, visit,
} from './helpers.mjs';

let browser;
test.before(async () => {
  browser = await launch();
});
test.after(() => browser?.close());

async function check(page, label) {
  await axeCheck(page, label);
  await assertNoHorizontalScroll(page);
}

test('impact: the public dashboard on a phone, with charts, tables and a filter', async () => {
  const { context, page } = await newPage(browser, PHONE);
  await visit(page, '/impact');
  assert.equal(await page.locator('h1').innerText(), 'Impact of the district');
  // The demo year: trade, LM3 below its ceiling once the surveys count outside spending, turnout.
  const lm3 = await page.locator('#ind-lm3 .value').innerText();
  const ratio = Number(lm3.replace(/[^0-9.]/g, ''));
  assert.ok(ratio > 1 && ratio < 3, `LM3 ${lm3}`);
  assert.match(await page.locator('#ind-trade_volume .value').innerText(), /\d/);
  const charts = page.locator('figure.chart svg[role="img"]');
  assert.ok((await charts.count()) >= 3, 'charts on the dashboard');
  assert.equal(await page.locator('figure.chart table').count(), await charts.count(), 'each chart has its table');
  await check(page, 'impact dashboard (phone)');
  // A definition opens on demand.
  await page.locator('#ind-lm3 summary').click();
  assert.match(await page.locator('#ind-lm3 .definition p').innerText(), /New Economics Foundation/);
  // Filter to farms in the second quarter.
  await page.fill('#period', '2026-Q2');
  await page.selectOption('#kind', 'farm');
  await submit(page, page.getByRole('button', { name: 'Show' }));
  assert.match(page.url(), /period=2026-Q2/);
  assert.equal(await page.locator('#period').inputValue(), '2026-Q2');
  await check(page, 'impact dashboard filtered');
  // The annual report reads on a phone too.
  await visit(page, '/impact/report?period=2026');
  await check(page, 'annual report (phone)');
  await context.close();

  const it = await newPage(browser, { ...PHONE, extraHTTPHeaders: { 'Accept-Language': 'it' } });
  await visit(it.page, '/impact?period=2026-13', 400);
  assert.equal(await it.page.locator('html').getAttribute('lang'), 'it');
  assert.match(await it.page.locator('#impact-error').innerText(), /periodo/i);
  await check(it.page, 'impact refused period (it)');
  await it.context.close();
});

const DESKTOP = { viewport: { width: 1280, height: 900 } };

test('impact: the dashboard and the annual report on a desktop, laid out for print', async () => {
  const { context, page } = await newPage(browser, DESKTOP);
  await visit(page, '/impact?period=2026');
  assert.ok((await page.locator('figure.chart svg[role="img"]').count()) >= 3);
  await check(page, 'impact dashboard (desktop)');
  await visit(page, '/impact/report?period=2026');
  assert.match(await page.locator('h1').innerText(), /Annual impact report 2026/);
  await check(page, 'annual report');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('nav.site-nav').evaluate((n) => getComputedStyle(n).display), 'none');
  assert.ok(await page.locator('#theme-trade').isVisible());
  await context.close();
});

test('impact: an admin answers the survey, a coordinator runs and compares scenarios, on a phone', async () => {
  const [admin] = await organisationAdmins(1, 150, 161);
  const a = await newPage(browser, PHONE);
  await signIn(a.page, admin.email);
  // Demo people prefer French or Italian; the switcher makes this page English.
  await visit(a.page, `/lang/en?next=/impact/organizations/${admin.orgId}`);
  assert.match(await a.page.locator('h1').innerText(), new RegExp(admin.orgName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await check(a.page, 'member figures');
  await submit(a.page, a.page.getByRole('link', { name: /Answer the survey/ }));
  await a.page.fill('#year', '2025');
  await a.page.fill('#outside_total', '5000');
  await a.page.fill('#outside_local', '9000');
  await submit(a.page, a.page.getByRole('button', { name: 'Save the survey' }));
  assert.match(await a.page.locator('#form-error').innerText(), /cannot be more than the total/);
  await check(a.page, 'survey refused');
  await a.page.fill('#outside_local', '1500');
  await a.page.fill('#sector_energy', '2000');
  await submit(a.page, a.page.getByRole('button', { name: 'Save the survey' }));
  assert.match(await a.page.locator('#survey-saved').innerText(), /saved/);
  assert.equal(await a.page.locator('#sector_energy').inputValue(), '2000.00');
  await check(a.page, 'survey saved');
  await a.context.close();

  const c = await newPage(browser, PHONE);
  await signIn(c.page, COORDINATOR);
  await visit(c.page, '/lang/en?next=/impact/planning?period=2026');
  assert.ok((await c.page.locator('#gaps tbody tr').count()) >= 3, 'ranked opportunities');
  await check(c.page, 'planning');
  const name = `Local energy ${unique().slice(-5)}`;
  await c.page.fill('#name', name);
  await c.page.fill('#scenario-period', 'soon');
  await c.page.selectOption('#sector', 'energy');
  await c.page.fill('#shift_percent', '30');
  await submit(c.page, c.page.getByRole('button', { name: 'Run and save the scenario' }));
  assert.match(await c.page.locator('#form-error').innerText(), /period is not understood/);
  await c.page.fill('#scenario-period', '2026');
  await submit(c.page, c.page.getByRole('button', { name: 'Run and save the scenario' }));
  const row = c.page.locator('#scenario-table tbody tr', { hasText: name });
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /30 %/);
  await check(c.page, 'scenarios compared');
  await c.context.close();

  // The comparison reads on a desktop too.
  const d = await newPage(browser, DESKTOP);
  await signIn(d.page, COORDINATOR);
  await visit(d.page, '/lang/en?next=/impact/planning');
  assert.equal(await d.page.locator('#scenario-table tbody tr', { hasText: name }).count(), 1);
  await check(d.page, 'scenarios (desktop)');
  await d.context.close();
});
