// Seasonal subscriptions (CSA) on a 360 px phone: a farm's admin opens a plan, a household
// subscribes in three instalments and skips a week (postponed to a make-up week), and the farm
// sees the subscriber and the skipped share on the day's list. axe on every page, and no page
// scrolls sideways.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  COORDINATOR, PHONE, admittedOrgAdmin, api, apiToken, assertNoHorizontalScroll, axeCheck, launch, newPage,
  signIn, submitAndWait as submit, unique, visit,
} from './helpers.mjs';

let browser;
test.before(async () => {
  browser = await launch();
});
test.after(() => browser?.close());

/** A new person admitted as an individual member (a household with a fresh account). */
async function household() {
  const id = unique();
  const email = `csa-household-${id}@example.org`;
  const password = 'a household pass phrase';
  const created = await api('POST', '/api/v1/people', { body: { email, name: `Famiglia ${id}`, password, locale: 'en' } });
  assert.equal(created.status, 201, created.text);
  const token = await apiToken(email, password);
  const applied = await api('POST', '/api/v1/applications', { token, body: { kind: 'individual', message: 'We eat vegetables.' } });
  assert.equal(applied.status, 201, applied.text);
  const decided = await api('POST', `/api/v1/applications/${applied.json.id}/decision`, {
    token: await apiToken(COORDINATOR),
    body: { decision: 'admit', reason: `Admitted for the CSA browser test ${id}` },
  });
  assert.equal(decided.status, 200, decided.text);
  return { email, password };
}

function isoDay(daysAhead) {
  return new Date(Date.now() + daysAhead * 86400e3).toISOString().slice(0, 10);
}

test('CSA: a farm opens a plan, a household subscribes and skips a week on a phone', async () => {
  const farmer = await admittedOrgAdmin('csa');
  const home = await household();
  const planName = `Cassetta ${unique().slice(-6)}`;

  // The farm's admin opens a plan of eight weekly shares.
  const f = await newPage(browser, PHONE);
  await signIn(f.page, farmer.email, farmer.password);
  await visit(f.page, `/lang/en?next=/purchasing/producers/${farmer.orgId}/csa`);
  await axeCheck(f.page, 'farm plans (empty)');
  await assertNoHorizontalScroll(f.page);
  await f.page.fill('#name', planName);
  await f.page.fill('#description', 'Seasonal vegetables, about 4 kg.');
  await f.page.fill('#share_price', '4,50');
  await f.page.fill('#first_delivery', isoDay(10));
  await f.page.fill('#last_delivery', isoDay(10 + 7 * 7));
  await f.page.fill('#capacity', '30');
  await submit(f.page, f.page.locator('main form[action$="/csa"] button[type="submit"]'));
  assert.match(new URL(f.page.url()).pathname, /\/csa\/[0-9a-f-]{36}$/);
  assert.match(await f.page.getByRole('status').innerText(), /open to subscriptions/);
  const planPath = new URL(f.page.url()).pathname;
  await axeCheck(f.page, 'plan (no subscriber)');
  await assertNoHorizontalScroll(f.page);

  // A household subscribes in three instalments on its phone.
  const h = await newPage(browser, PHONE);
  await signIn(h.page, home.email, home.password);
  await visit(h.page, '/lang/en?next=/purchasing/csa');
  await axeCheck(h.page, 'open plans');
  await assertNoHorizontalScroll(h.page);
  const card = h.page.locator('article', { has: h.page.locator('h3', { hasText: planName }) });
  assert.match(await card.innerText(), /36\.00/, 'eight shares of 4.50');
  await card.locator('select[name="instalments"]').selectOption('3');
  await submit(h.page, card.locator('button[type="submit"]'));
  assert.match(new URL(h.page.url()).pathname, /^\/purchasing\/csa\/subscriptions\/[0-9a-f-]{36}$/);
  assert.match(await h.page.getByRole('status').innerText(), /You subscribed/);
  assert.match(await h.page.locator('main').innerText(), /12\.00/, 'the first of three instalments');
  await axeCheck(h.page, 'subscription');
  await assertNoHorizontalScroll(h.page);

  // It skips the first week: postponed to a make-up week after the last delivery.
  const firstDay = isoDay(10);
  await submit(h.page, h.page.locator(`#day-${firstDay} button`));
  assert.match(await h.page.getByRole('status').innerText(), /The week is skipped/);
  assert.equal(await h.page.locator(`#day-${firstDay}`).getAttribute('data-status'), 'skipped');
  assert.equal(await h.page.locator(`#day-${isoDay(10 + 8 * 7)}`).count(), 1, 'a make-up week is appended');
  assert.match(await h.page.locator('main').innerText(), /make-up week/);
  await axeCheck(h.page, 'subscription (skipped a week)');
  await assertNoHorizontalScroll(h.page);

  // The farm sees its subscriber and, on the first day's list, the skipped share.
  await visit(f.page, planPath);
  assert.match(await f.page.locator('main').innerText(), /1\/3/);
  await axeCheck(f.page, 'plan (one subscriber)');
  await assertNoHorizontalScroll(f.page);
  await visit(f.page, `${planPath}/days/${firstDay}`);
  assert.match(await f.page.locator('main table').innerText(), /skipped/);
  await axeCheck(f.page, 'day list');
  await assertNoHorizontalScroll(f.page);
});
