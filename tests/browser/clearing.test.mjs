// A clearing round on the demo district: two organisations owe each other, their admins join
// a round the coordinator opens, the coordinator computes the proposal, both confirm (one on a
// 360 px phone), the round applies and each gets a set-off notice. axe on every page.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  COORDINATOR, PHONE, api, assertNoHorizontalScroll, axeCheck, launch, newPage, organisationAdmins, signIn,
  submitAndWait as submit, unique, visit,
} from './helpers.mjs';

let browser;
test.before(async () => {
  browser = await launch();
});
test.after(() => browser?.close());

/** `creditor` invoices `debtor` `amount` minor units and the debtor accepts. */
async function owes(debtor, creditor, amount, number) {
  const due = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
  const r = await api('POST', '/api/v1/invoices', {
    token: creditor.token,
    body: { creditor: creditor.accountId, debtor: debtor.accountId, amount, number, description: 'Clearing test', due_on: due },
  });
  assert.equal(r.status, 201, r.text);
  const a = await api('POST', `/api/v1/invoices/${r.json.id}/actions`, { token: debtor.token, body: { action: 'accept' } });
  assert.equal(a.status, 200, a.text);
  return r.json.id;
}

test('two members clear what they owe each other in a round', async () => {
  // Further down the demo than the other tests look, so no organisation is shared.
  const [anna, bruno] = await organisationAdmins(2, 40, 120);
  const tag = unique().slice(-8);
  await owes(bruno, anna, 4000, `CL-A-${tag}`);
  await owes(anna, bruno, 2500, `CL-B-${tag}`);

  // The coordinator opens a round with the proposed dates.
  const c = await newPage(browser);
  await signIn(c.page, COORDINATOR);
  await visit(c.page, '/lang/en?next=/coordination/clearing');
  await axeCheck(c.page, '/coordination/clearing');
  await c.page.fill('#note', 'Browser test round');
  await submit(c.page, c.page.locator('main form[action="/coordination/clearing"] button[type="submit"]'));
  assert.match(new URL(c.page.url()).pathname, /^\/coordination\/clearing\/[0-9a-f-]{36}$/);
  assert.match(await c.page.getByRole('status').innerText(), /The round was opened/);
  const reportPath = new URL(c.page.url()).pathname;
  const roundId = reportPath.split('/').pop();
  await axeCheck(c.page, 'round report (open)');

  // Both admins join from their proposal page; Bruno on a phone.
  const a = await newPage(browser);
  await signIn(a.page, anna.email);
  await visit(a.page, `/lang/en?next=/clearing/rounds/${roundId}?account=${anna.accountId}`);
  await axeCheck(a.page, 'round (not joined)');
  await submit(a.page, a.page.locator(`form[action="/clearing/rounds/${roundId}/join"] button`));
  assert.match(await a.page.getByRole('status').first().innerText(), /You take part in this round/);
  const b = await newPage(browser, PHONE);
  await signIn(b.page, bruno.email);
  await visit(b.page, `/lang/en?next=/clearing/rounds/${roundId}?account=${bruno.accountId}`);
  await submit(b.page, b.page.locator(`form[action="/clearing/rounds/${roundId}/join"] button`));

  // The coordinator computes the proposal; the report shows its figures.
  await visit(c.page, reportPath);
  await submit(c.page, c.page.locator(`form[action="${reportPath}/compute"] button`));
  assert.match(await c.page.getByRole('status').innerText(), /The proposal was computed/);
  assert.match(await c.page.locator('#set-off').innerText(), /\d/);
  assert.doesNotMatch(await c.page.locator('#set-off').innerText(), /^0[.,]00/, 'something is set off');
  await axeCheck(c.page, 'round report (proposed)');
  await c.page.emulateMedia({ colorScheme: 'dark' });
  await axeCheck(c.page, 'round report (proposed, dark)');

  // Each reads their proposal and confirms; the net position is unchanged.
  for (const [who, page, label] of [[anna, a.page, 'desktop'], [bruno, b.page, 'phone']]) {
    await visit(page, `/clearing/rounds/${roundId}?account=${who.accountId}`);
    const table = await page.locator('table').first().innerText();
    assert.ok(/Net position/.test(table), 'the position table is shown');
    const netRow = page.locator('tr', { has: page.locator('th', { hasText: 'Net position' }) });
    const cells = await netRow.locator('td').allInnerTexts();
    assert.equal(cells[0], cells[1], `net position before = after (${label})`);
    await axeCheck(page, `proposal (${label})`);
    if (label === 'phone') await assertNoHorizontalScroll(page);
    await submit(page, page.locator(`form[action="/clearing/rounds/${roundId}/confirm"] button`));
    assert.match(await page.getByRole('status').first().innerText(), /Your confirmation was recorded/);
  }

  // The last confirmation applied the round: notices are ready.
  await visit(c.page, reportPath);
  assert.match(await c.page.locator('#round-status').innerText(), /Applied/);
  await visit(b.page, `/clearing/rounds/${roundId}/notice?account=${bruno.accountId}`);
  await assertNoHorizontalScroll(b.page);
  await axeCheck(b.page, 'set-off notice (phone)');
  assert.match(await b.page.locator('main').innerText(), /CL-/);
  const csv = await b.page.evaluate(async (p) => (await fetch(p)).text(), `/clearing/rounds/${roundId}/notice.csv?account=${bruno.accountId}`);
  assert.match(csv.split('\n')[0], /^round,applied_on,currency,kind,invoice_id/);
  assert.ok(csv.trim().split('\n').length >= 3, 'at least two invoices were reduced');

  // The member's clearing page lists the round in the history.
  await visit(a.page, '/clearing');
  await axeCheck(a.page, '/clearing');
  assert.match(await a.page.locator('main').innerText(), /Set-off notice/);
  await Promise.all([a.context.close(), b.context.close(), c.context.close()]);
});
