// Mutual credit in the browser: a demo person's account page with its balance chart, paying
// through the form and seeing the balance change, asking for a payment and showing its QR
// code, paying that request from another phone, and the coordinators' ledger page. axe on
// every page (light and dark), and no sideways scrolling at 360 px.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  COORDINATOR, DEMO_PASSWORD, PHONE, api, apiToken, assertNoHorizontalScroll, axeCheck, launch, newPage, organizations,
  signIn, url, visit,
} from './helpers.mjs';

/** A demo person who founded an organisation: a personal account and the organisation's. */
// The demo's year of trade ends on the day the server starts, so who has credit left changes
// from day to day: the payer is the first of these people with an account that can pay.
const PAYER_CANDIDATES = Array.from({ length: 40 }, (_, i) => `person-${i + 1}@distretto.example`);

let browser;
let payer; // { email, account, token } — an account of one of PAYER_CANDIDATES that can pay
let payee; // an organisation account that is not the payer's
let requestPath; // /requests/{id} made by the payer's test

/** The accounts `email` can pay from, with what each can still pay (minor units). */
async function spendable(email) {
  const token = await apiToken(email);
  const me = await api('GET', '/api/v1/me', { token });
  assert.equal(me.status, 200, me.text);
  const out = [];
  for (const a of me.json.accounts) {
    const r = await api('GET', `/api/v1/accounts/${a.id}`, { token });
    assert.equal(r.status, 200, r.text);
    out.push({ id: a.id, available: r.json.available, balance: r.json.balance, token });
  }
  return out;
}

async function balanceOf(account, token) {
  const r = await api('GET', `/api/v1/accounts/${account}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.balance;
}

test.before(async () => {
  browser = await launch();
  let mine = [];
  for (const email of PAYER_CANDIDATES) {
    mine = await spendable(email);
    const best = mine.reduce((a, b) => (b.available > a.available ? b : a));
    if (best.available >= 1000) {
      payer = { email, account: best.id, token: best.token };
      break;
    }
  }
  assert.ok(payer, 'one of person-1…40 has an account that can pay 10 units');
  const mineIds = new Set(mine.map((a) => a.id));
  for (const o of (await organizations()).items.slice(0, 30)) {
    const r = await api('GET', `/api/v1/organizations/${o.id}`);
    if (r.status === 200 && r.json.account_id && !mineIds.has(r.json.account_id)) {
      payee = { account: r.json.account_id, name: o.name };
      break;
    }
  }
  assert.ok(payee, 'an organisation account to pay');
});
test.after(() => browser?.close());

/**
 * A signed-in page in English whatever the demo person's preferred language (the switcher's
 * cookie wins over it), so the texts below can be checked.
 */
async function signedIn(options, email) {
  const { context, page } = await newPage(browser, options);
  await context.addCookies([{ name: 'distretto_lang', value: 'en', url: url('/') }]);
  await signIn(page, email);
  return { context, page };
}

/** Submits the main form and waits for the page its POST answers. */
async function submitMainForm(page) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    page.click('main form button[type="submit"]'),
  ]);
  await page.waitForLoadState('load');
  return response;
}

test('ledger: the account page shows the balance chart, and paying changes the balance', async () => {
  const { context, page } = await signedIn({}, payer.email);
  await visit(page, '/account');
  await axeCheck(page, '/account');
  if (new URL(page.url()).pathname === '/account') {
    assert.ok(await page.locator(`a[href="/account/${payer.account}"]`).count(), 'the account is listed');
  }

  await visit(page, `/account/${payer.account}`);
  const chart = page.locator('svg.balance-chart');
  assert.equal(await chart.getAttribute('role'), 'img');
  assert.match(await page.locator('#balance-chart-title').textContent(), /Balance/);
  assert.match(await page.locator('.chart-summary').innerText(), /the balance went from .* to .*; lowest .*, highest/);
  const before = await page.locator('#balance').innerText();
  await axeCheck(page, '/account/{id}');

  const balanceBefore = await balanceOf(payer.account, payer.token);
  await visit(page, `/pay?from=${payer.account}`);
  await axeCheck(page, '/pay');
  assert.equal(await page.inputValue('#from'), payer.account);
  await page.fill('#to_id', payee.account);
  await page.fill('#amount', '1,25');
  await page.fill('#memo', 'Browser test payment');
  await Promise.all([
    page.waitForURL((u) => u.pathname === `/account/${payer.account}` && u.search.includes('done=paid')),
    page.click('main form button[type="submit"]'),
  ]);
  assert.equal((await page.getByRole('status').innerText()).trim(), 'Payment made.');
  assert.equal(await balanceOf(payer.account, payer.token), balanceBefore - 125);
  assert.notEqual(await page.locator('#balance').innerText(), before, 'the page shows the new balance');
  assert.ok(await page.locator('table td', { hasText: 'Browser test payment' }).count(), 'the payment is in the history');
  await axeCheck(page, '/account/{id}?done=paid');

  // A bad amount: the form comes back with the message and the values kept.
  await visit(page, '/pay');
  await page.fill('#to_id', payee.account);
  await page.fill('#amount', 'twelve');
  assert.equal((await submitMainForm(page)).status(), 422);
  assert.match(await page.getByRole('alert').innerText(), /Write the amount as a number/);
  assert.equal(await page.inputValue('#amount'), 'twelve');
  assert.equal(await page.getAttribute('#amount', 'aria-invalid'), 'true');
  await axeCheck(page, '/pay (error)');
  assert.equal(await balanceOf(payer.account, payer.token), balanceBefore - 125, 'nothing more was paid');
  await context.close();
});

test('ledger: asking for a payment shows a QR code another member pays from', async () => {
  const { context, page } = await signedIn({}, payer.email);
  await visit(page, `/requests/new?payee=${payer.account}`);
  await axeCheck(page, '/requests/new');
  await page.fill('#amount', '2,50');
  await page.fill('#memo', 'Market stall');
  await Promise.all([
    page.waitForURL((u) => /^\/requests\/[0-9a-f-]{36}$/.test(u.pathname)),
    page.click('main form button[type="submit"]'),
  ]);
  requestPath = new URL(page.url()).pathname;
  const id = requestPath.split('/').pop();
  const qr = page.locator('svg.qr-code');
  assert.equal(await qr.count(), 1);
  assert.equal(await qr.getAttribute('role'), 'img');
  assert.ok((await qr.getAttribute('aria-label')).length > 5);
  const box = await qr.boundingBox();
  assert.ok(box.width >= 200, `the code is large enough to scan (${box.width} px)`);
  assert.match(await page.locator('.qr-link a').innerText(), new RegExp(`/pay/${id}$`));
  await axeCheck(page, '/requests/{id}');
  await visit(page, '/requests');
  await axeCheck(page, '/requests');
  await context.close();

  // Another member opens the link: sign in first, come back, pay.
  let other;
  for (let n = 2; n <= 40 && !other; n += 1) {
    const email = `person-${n}@distretto.example`;
    const accounts = await spendable(email).catch(() => []);
    const a = accounts.find((x) => x.available >= 250 && x.id !== payer.account);
    if (a) other = { email, account: a.id, token: a.token };
  }
  assert.ok(other, 'a demo person who can pay 2.50');
  const phone = await newPage(browser, PHONE);
  await phone.context.addCookies([{ name: 'distretto_lang', value: 'en', url: url('/') }]);
  await visit(phone.page, `/pay/${id}`);
  assert.equal(new URL(phone.page.url()).pathname, '/sign-in', 'sign in first');
  await phone.page.fill('#email', other.email);
  await phone.page.fill('#password', DEMO_PASSWORD);
  await Promise.all([
    phone.page.waitForURL((u) => u.pathname === `/pay/${id}`),
    phone.page.click('main form button[type="submit"]'),
  ]);
  assert.match(await phone.page.locator('#request-amount').innerText(), /2\.50/);
  await assertNoHorizontalScroll(phone.page);
  await axeCheck(phone.page, '/pay/{id}');
  await phone.page.selectOption('#from', other.account);
  const before = await balanceOf(other.account, other.token);
  await Promise.all([
    phone.page.waitForURL((u) => u.pathname === `/account/${other.account}`),
    phone.page.click('main form button[type="submit"]'),
  ]);
  assert.equal(await balanceOf(other.account, other.token), before - 250);
  await phone.context.close();
});

test("ledger: the coordinators' ledger page, light and dark", async () => {
  for (const options of [{}, { colorScheme: 'dark' }]) {
    const { context, page } = await signedIn(options, COORDINATOR);
    await visit(page, '/coordination/ledger');
    assert.equal(await page.locator('h1').innerText(), 'Mutual credit');
    assert.equal(await page.locator('.breadcrumbs a[aria-current="page"]').innerText(), 'Mutual credit');
    await axeCheck(page, `/coordination/ledger ${options.colorScheme || 'light'}`);
    // A coordinator reads a member's account, with the limits form and reversal forms.
    await visit(page, `/account/${payer.account}`);
    assert.ok(await page.locator('#credit_limit').count(), 'the limits form');
    await axeCheck(page, `/account/{id} as coordinator ${options.colorScheme || 'light'}`);
    await context.close();
  }
  const dark = await signedIn({ colorScheme: 'dark' }, payer.email);
  for (const path of [`/account/${payer.account}`, '/pay', requestPath || '/requests']) {
    await visit(dark.page, path);
    await axeCheck(dark.page, `${path} dark`);
  }
  await dark.context.close();
});

test('ledger: no sideways scrolling at 360 px', async () => {
  const { context, page } = await signedIn(PHONE, payer.email);
  for (const path of ['/account', `/account/${payer.account}`, '/pay', '/requests', '/requests/new', requestPath || '/requests']) {
    await visit(page, path);
    await assertNoHorizontalScroll(page);
  }
  await context.close();
  const coord = await signedIn(PHONE, COORDINATOR);
  for (const path of ['/coordination/ledger', `/account/${payer.account}`]) {
    await visit(coord.page, path);
    await assertNoHorizontalScroll(coord.page);
  }
  await coord.context.close();
});
