// Shared resources on a 360 px phone: an organisation's admin adds a van, a household books a
// slot, sees it in its bookings with the fee paid, sees the refund before confirming the
// cancellation, and cancels. axe on every page, and no page scrolls sideways.
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

async function household() {
  const id = unique();
  const email = `resource-household-${id}@example.org`;
  const password = 'a household pass phrase';
  const created = await api('POST', '/api/v1/people', { body: { email, name: `Famiglia ${id}`, password, locale: 'en' } });
  assert.equal(created.status, 201, created.text);
  const token = await apiToken(email, password);
  const applied = await api('POST', '/api/v1/applications', { token, body: { kind: 'individual', message: 'We need a van.' } });
  assert.equal(applied.status, 201, applied.text);
  const decided = await api('POST', `/api/v1/applications/${applied.json.id}/decision`, {
    token: await apiToken(COORDINATOR),
    body: { decision: 'admit', reason: `Admitted for the resources browser test ${id}` },
  });
  assert.equal(decided.status, 200, decided.text);
  return { email, password };
}

test('resources: an admin adds a van, a household books a slot and cancels it on a phone', async () => {
  const owner = await admittedOrgAdmin('resource');
  const home = await household();
  const name = `Furgone ${unique().slice(-6)}`;

  const o = await newPage(browser, PHONE);
  await signIn(o.page, owner.email, owner.password);
  await visit(o.page, '/lang/en?next=/market/resources/new');
  await axeCheck(o.page, 'new resource form');
  await assertNoHorizontalScroll(o.page);
  await o.page.selectOption('#owner', owner.orgId);
  await o.page.fill('#name', name);
  await o.page.fill('#place', 'Aosta');
  await o.page.fill('#fee', '5');
  await o.page.fill('#availability', 'daily 00:00-24:00');
  await o.page.fill('#rules', 'Return it clean.');
  await submit(o.page, o.page.locator('main form button[type="submit"]'));
  assert.match(new URL(o.page.url()).pathname, /^\/market\/resources\/[0-9a-f-]{36}$/);
  const resourcePath = new URL(o.page.url()).pathname;
  await axeCheck(o.page, 'resource (owner, with utilisation)');
  await assertNoHorizontalScroll(o.page);
  assert.match(await o.page.locator('#usage').innerText(), /Utilisation/);

  const h = await newPage(browser, PHONE);
  await signIn(h.page, home.email, home.password);
  await visit(h.page, '/lang/en?next=/market/resources');
  await axeCheck(h.page, 'resources list');
  await assertNoHorizontalScroll(h.page);
  await h.page.getByRole('link', { name }).click();
  await h.page.waitForURL((u) => u.pathname === resourcePath);
  await axeCheck(h.page, 'resource (household)');
  await assertNoHorizontalScroll(h.page);
  // Three days ahead, 10:00 to 12:00 UTC: two started hours at 5.00.
  const day = new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 10);
  await h.page.fill('#start_day', day);
  await h.page.fill('#start_time', '10:00');
  await h.page.fill('#end_time', '12:00');
  await submit(h.page, h.page.locator('main form[action$="/book"] button[type="submit"]'));
  assert.equal(new URL(h.page.url()).pathname, '/market/bookings');
  assert.match(await h.page.getByRole('status').innerText(), /Booked/);
  const line = h.page.locator('li', { hasText: name });
  assert.match(await line.innerText(), /confirmed/);
  assert.match(await line.innerText(), /10\.00/);
  await axeCheck(h.page, 'my bookings');
  await assertNoHorizontalScroll(h.page);

  await line.getByRole('link', { name: /Cancel/ }).click();
  await h.page.waitForURL(/\/cancel$/);
  assert.match(await h.page.locator('main dl').innerText(), /Refunded if you cancel now\s*\S*\s*10\.00/);
  await axeCheck(h.page, 'cancel booking');
  await assertNoHorizontalScroll(h.page);
  await submit(h.page, h.page.locator('main form button[type="submit"]'));
  assert.equal(new URL(h.page.url()).pathname, '/market/bookings');
  assert.match(await h.page.locator('li', { hasText: name }).innerText(), /cancelled/);
  await o.context.close();
  await h.context.close();
});
