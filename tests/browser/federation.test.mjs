// Two districts: the demo district (BASE_URL) and a second, small one (SECOND_URL), each its own
// server and database, started by run.sh. The demo's coordinator links with the second district
// on the federation page; the second district's coordinator approves (through its API, after
// comparing the key shown on our page); both assemblies open limits; then a new member of the
// demo district pays the second district's member from the page on a phone, and the payment
// arrives there; a member of the second district invoices ours, who accepts and pays it from the
// invoices page. axe on every page, and nothing scrolls sideways.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  COORDINATOR, DEMO_PASSWORD, PHONE, api, apiToken, assertNoHorizontalScroll, axeCheck, launch, newPage,
  signIn, submitAndWait as submit, unique, visit,
} from './helpers.mjs';

const SECOND = (process.env.SECOND_URL || '').replace(/\/$/, '');

let browser;
test.before(async () => {
  browser = await launch();
});
test.after(() => browser?.close());

/** JSON from the second district's API. */
async function second(method, path, { token, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(SECOND + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, text };
}

async function secondToken(email) {
  const r = await second('POST', '/api/v1/tokens', { body: { email, password: DEMO_PASSWORD } });
  assert.equal(r.status, 201, r.text);
  return r.json.token;
}

/** A newly admitted member of the demo district (an account at 0 with the default limits). */
async function newMember() {
  const id = unique();
  const email = `federation-member-${id}@example.org`;
  const password = 'a federation pass phrase';
  const created = await api('POST', '/api/v1/people', { body: { email, name: `Ada ${id}`, password, locale: 'en' } });
  assert.equal(created.status, 201, created.text);
  const token = await apiToken(email, password);
  const applied = await api('POST', '/api/v1/applications', { token, body: { kind: 'individual', message: 'I buy from the next valley.' } });
  assert.equal(applied.status, 201, applied.text);
  const decided = await api('POST', `/api/v1/applications/${applied.json.id}/decision`, {
    token: await apiToken(COORDINATOR),
    body: { decision: 'admit', reason: `Admitted for the federation browser test ${id}` },
  });
  assert.equal(decided.status, 200, decided.text);
  return { email, password };
}

test('federation: a coordinator links with another district, and a member pays one of its members', async () => {
  assert.ok(SECOND, 'SECOND_URL is not set: run the browser tests through tests/browser/run.sh');
  const coordB = await secondToken('coord@second.example');
  const memberB = await secondToken('member@second.example');
  const idB = (await second('GET', '/api/v1/federation/district')).json;
  assert.equal(idB.url, SECOND);

  // Our coordinator enters the second district's details on the federation page.
  const c = await newPage(browser);
  await signIn(c.page, COORDINATOR);
  await visit(c.page, '/federation');
  await axeCheck(c.page, '/federation (coordinator, no link)');
  const ourKey = (await c.page.locator('dd code').nth(2).innerText()).trim();
  await c.page.fill('#url', idB.url);
  await c.page.fill('#keyid', idB.keys[0].keyid);
  await c.page.fill('#public_key', idB.keys[0].public_key);
  await submit(c.page, c.page.getByRole('button', { name: 'Ask to link' }));
  await c.page.getByText('The request was sent to the other district.').waitFor();
  await c.page.getByText('Waiting for their approval').waitFor();

  // Their coordinator sees our request with the key shown on our page, and approves.
  const requested = (await second('GET', '/api/v1/federation/links', { token: coordB })).json.items;
  assert.equal(requested.length, 1);
  assert.equal(requested[0].status, 'requested');
  assert.equal(requested[0].keys[0].public_key, ourKey, 'the key they compare is the one our page shows');
  const approved = await second('POST', `/api/v1/federation/links/${requested[0].id}/approve`, { token: coordB });
  assert.equal(approved.status, 200, approved.text);

  // Each assembly opens room: ours lets our members owe theirs, theirs lets us owe them.
  const theirMirror = approved.json.mirror.account;
  const put = (base, path, token, body) => fetch(base + path, {
    method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, text: await r.text() }));
  let r = await put(SECOND, `/api/v1/accounts/${theirMirror}/limits`, coordB, { credit_limit: 100000, upper_limit: 0, reason: 'Assemblea: scambi con il distretto vicino' });
  assert.equal(r.status, 200, r.text);
  const coordA = await apiToken(COORDINATOR);
  const ours = (await api('GET', '/api/v1/federation/links', { token: coordA })).json.items.find((l) => l.url === SECOND);
  assert.equal(ours.status, 'active');
  assert.equal(ours.name, 'Distretto Secondo');
  r = await put(process.env.BASE_URL.replace(/\/$/, ''), `/api/v1/accounts/${ours.mirror.account}/limits`, coordA, { credit_limit: 0, upper_limit: 100000, reason: 'Assembly: trade with the next district' });
  assert.equal(r.status, 200, r.text);
  await visit(c.page, '/federation');
  const card = c.page.locator('article', { hasText: 'Distretto Secondo' });
  await card.getByText('Active').waitFor();
  await card.getByText('Even').first().waitFor();
  await axeCheck(c.page, '/federation (coordinator, linked)');
  await c.context.close();

  // A new member of ours pays their member, on a phone.
  const theirAccount = (await second('GET', '/api/v1/me', { token: memberB })).json.accounts[0].id;
  const ada = await newMember();
  const m = await newPage(browser, PHONE);
  await signIn(m.page, ada.email, ada.password);
  await visit(m.page, '/federation');
  await m.page.selectOption('#link', { label: 'Distretto Secondo' });
  await m.page.fill('#payee', theirAccount);
  await m.page.fill('#amount', '12.50');
  await m.page.fill('#memo', 'Toma cheese');
  await submit(m.page, m.page.getByRole('button', { name: 'Pay', exact: true }));
  await m.page.getByText('Your payment to the other district is recorded.').waitFor();
  const row = m.page.locator('section[aria-labelledby="mine"] tbody tr', { hasText: 'Distretto Secondo' }).first();
  await row.getByText('Done').waitFor();
  assert.match(await row.innerText(), /12\.50/);
  await axeCheck(m.page, '/federation (member, paid)');
  await assertNoHorizontalScroll(m.page);

  // It arrived: their member's balance, and our coordinator's view of the balance between us.
  const theirs = (await second('GET', `/api/v1/accounts/${theirAccount}`, { token: memberB })).json;
  assert.equal(theirs.balance, 1250);
  const now = (await api('GET', '/api/v1/federation/links', { token: coordA })).json.items.find((l) => l.url === SECOND);
  assert.equal(now.mirror.balance, 1250, 'we owe the second district what our member paid');

  // A bad payee is refused on the form, in the member's language, and nothing moves.
  await m.page.fill('#payee', 'not-an-account');
  await m.page.fill('#amount', '1');
  await submit(m.page, m.page.getByRole('button', { name: 'Pay', exact: true }));
  await m.page.getByRole('alert').getByText('The other district has no member account or organisation with that reference.').waitFor();
  assert.equal((await second('GET', `/api/v1/accounts/${theirAccount}`, { token: memberB })).json.balance, 1250);
  await m.context.close();

  // Two districts owe each other no cycle: the coordinator who asks for a clearing round is
  // told there is nothing to set off, and nothing is recorded.
  const k = await newPage(browser);
  await signIn(k.page, COORDINATOR);
  await visit(k.page, '/federation');
  await k.page.getByText('No clearing round yet.').waitFor();
  await submit(k.page, k.page.getByRole('button', { name: 'Set off debts now' }));
  await k.page.getByRole('alert').getByText('There is nothing to set off: no cycle of debts between the linked districts.').waitFor();
  await axeCheck(k.page, '/federation (coordinator, nothing to set off)');
  assert.equal((await api('GET', '/api/v1/federation/clearings', { token: coordA })).json.total, 0);
  await k.context.close();

  // Their member invoices ours; ours accepts and pays it from the invoices page, on a phone.
  const adaToken = await apiToken(ada.email, ada.password);
  const adaAccount = (await api('GET', '/api/v1/me', { token: adaToken })).json.accounts[0].id;
  const theirLink = (await second('GET', '/api/v1/federation/links', { token: coordB })).json.items[0].id;
  const issued = await second('POST', '/api/v1/federation/invoices', {
    token: memberB,
    body: { link: theirLink, account: theirAccount, debtor: adaAccount, amount_minor: 500, description: 'Toma cheese, second wheel', due_on: '2027-06-30' },
  });
  assert.equal(issued.status, 201, issued.text);
  const p = await newPage(browser, PHONE);
  await signIn(p.page, ada.email, ada.password);
  await visit(p.page, '/federation/invoices');
  const invoice = () => p.page.locator('article', { hasText: 'Distretto Secondo' }).first();
  await invoice().getByText('Issued', { exact: true }).waitFor();
  await axeCheck(p.page, '/federation/invoices (member, received)');
  await assertNoHorizontalScroll(p.page);
  await submit(p.page, invoice().getByRole('button', { name: /^Accept the invoice/ }));
  await p.page.getByText('Done. The invoice below shows where it stands now.').waitFor();
  await invoice().getByText('Accepted', { exact: true }).waitFor();
  assert.equal(await invoice().locator('input[name="amount"]').inputValue(), '5.00', 'what remains is filled in');
  await submit(p.page, invoice().getByRole('button', { name: /^Pay/ }));
  await invoice().getByText('Paid', { exact: true }).waitFor();
  await axeCheck(p.page, '/federation/invoices (member, paid)');
  const atSecond = await second('GET', `/api/v1/federation/invoices/${issued.json.id}`, { token: memberB });
  assert.equal(atSecond.json.status, 'paid', atSecond.text);
  assert.equal((await second('GET', `/api/v1/accounts/${theirAccount}`, { token: memberB })).json.balance, 1750);
  await p.context.close();
});
