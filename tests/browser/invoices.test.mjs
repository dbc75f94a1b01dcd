// Invoices between two organisations of the demo district: one organisation's admin issues an
// invoice to another, whose admin accepts it and pays part of it in credit; both lists show
// what remains. axe on every page (light and dark), and the debtor works on a 360 px phone.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  PHONE, api, assertNoHorizontalScroll, axeCheck, launch, newPage, organisationAdmins, signIn,
  submitAndWait as submit, unique, visit,
} from './helpers.mjs';

let browser;
test.before(async () => {
  browser = await launch();
});
test.after(() => browser?.close());

/** Signs in and chooses English with the switcher (demo people have their own languages). */
async function signInInEnglish(page, email) {
  await signIn(page, email);
  await visit(page, '/lang/en?next=/invoices');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
}

/** The text of the first row of the list's table whose number cell contains `number`. */
async function rowText(page, number) {
  const row = page.locator('table tbody tr', { has: page.locator('td:first-child', { hasText: number }) });
  assert.equal(await row.count(), 1, `one row for ${number}`);
  return (await row.innerText()).replace(/\s+/g, ' ');
}

test('an organisation invoices another, which accepts and pays part of it', async () => {
  const [creditor, debtor] = await organisationAdmins(2, 1, 30);
  const number = `BT-${unique()}`.slice(0, 40);

  // The creditor's side, on a desktop screen.
  const a = await newPage(browser);
  await signInInEnglish(a.page, creditor.email);
  await visit(a.page, '/invoices');
  await axeCheck(a.page, '/invoices (creditor)');
  await Promise.all([a.page.waitForURL((u) => u.pathname === '/invoices/new'), a.page.click('main a[href="/invoices/new"]')]);
  await axeCheck(a.page, '/invoices/new');
  assert.match(await a.page.inputValue('#due_on'), /^\d{4}-\d{2}-\d{2}$/, 'a due date is proposed');

  await a.page.selectOption('#creditor', creditor.accountId);
  await a.page.selectOption('#debtor', `o:${debtor.orgId}`);
  await a.page.fill('#amount', 'eighty');
  await a.page.fill('#number', number);
  await a.page.fill('#description', 'Bread for the spring market');
  await submit(a.page, a.page.locator('main form[action="/invoices"] button[type="submit"]'));
  assert.equal(new URL(a.page.url()).pathname, '/invoices', 'still on the form');
  assert.match(await a.page.getByRole('alert').innerText(), /Write the amount as a number/);
  assert.equal(await a.page.inputValue('#number'), number, 'values are kept');
  assert.equal(await a.page.getAttribute('#amount', 'aria-invalid'), 'true');
  await axeCheck(a.page, '/invoices/new with an error');

  await a.page.fill('#amount', '80.00');
  await submit(a.page, a.page.locator('main form[action="/invoices"] button[type="submit"]'));
  assert.match(new URL(a.page.url()).pathname, /^\/invoices\/[0-9a-f-]{36}$/);
  assert.match(await a.page.getByRole('status').innerText(), /The invoice was issued/);
  const invoicePath = new URL(a.page.url()).pathname;
  assert.match(await a.page.locator('#remaining').innerText(), /80\.00/);
  assert.equal(await a.page.locator(`form[action="${invoicePath}/cancel"]`).count(), 1, 'the creditor may cancel');
  assert.equal(await a.page.locator(`form[action="${invoicePath}/pay"]`).count(), 0, 'the creditor does not pay');
  await axeCheck(a.page, 'invoice (creditor)');
  await a.page.emulateMedia({ colorScheme: 'dark' });
  await axeCheck(a.page, 'invoice (creditor, dark)');

  // The debtor's side, on a phone.
  const b = await newPage(browser, PHONE);
  await signInInEnglish(b.page, debtor.email);
  await visit(b.page, '/invoices?view=pay');
  assert.match(await rowText(b.page, number), /80\.00/);
  await assertNoHorizontalScroll(b.page);
  await axeCheck(b.page, '/invoices?view=pay (phone)');
  await Promise.all([
    b.page.waitForURL((u) => u.pathname === invoicePath),
    b.page.locator('table tbody tr td:first-child a', { hasText: number }).click(),
  ]);
  await assertNoHorizontalScroll(b.page);
  await axeCheck(b.page, 'invoice (debtor, phone)');

  await submit(b.page, b.page.locator(`form[action="${invoicePath}/accept"] button`));
  assert.match(await b.page.getByRole('status').innerText(), /You accepted the invoice/);
  assert.match(await b.page.locator('dl.profile').innerText(), /Accepted/);
  assert.equal(await b.page.inputValue('#pay-amount'), '80.00', 'paying proposes the remainder');

  // Too much is refused with the amount kept; then part of it is paid.
  await b.page.fill('#pay-amount', '95');
  await submit(b.page, b.page.locator(`form[action="${invoicePath}/pay"] button`));
  assert.match(await b.page.getByRole('alert').innerText(), /more than what remains/);
  assert.equal(await b.page.inputValue('#pay-amount'), '95');
  await axeCheck(b.page, 'invoice with an error (debtor, phone)');
  await b.page.fill('#pay-amount', '30');
  await submit(b.page, b.page.locator(`form[action="${invoicePath}/pay"] button`));
  assert.match(await b.page.getByRole('status').innerText(), /Your payment was made/);
  assert.match(await b.page.locator('#remaining').innerText(), /50\.00/);
  const history = await b.page.locator('ol.history').innerText();
  assert.match(history, /Issued/);
  assert.match(history, /Accepted/);
  assert.match(history, /Paid by transfer · 30\.00/);
  await assertNoHorizontalScroll(b.page);
  await b.page.emulateMedia({ colorScheme: 'dark' });
  await axeCheck(b.page, 'invoice after a payment (debtor, phone, dark)');

  // Both lists show what remains.
  await visit(b.page, '/invoices?view=pay&status=accepted');
  const debtorRow = await rowText(b.page, number);
  assert.match(debtorRow, /80\.00.*30\.00.*50\.00/, debtorRow);
  assert.match(debtorRow, new RegExp(creditor.orgName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await assertNoHorizontalScroll(b.page);
  await axeCheck(b.page, '/invoices?view=pay&status=accepted (phone, dark)');

  await visit(a.page, '/invoices?view=collect');
  const creditorRow = await rowText(a.page, number);
  assert.match(creditorRow, /50\.00/);
  assert.match(creditorRow, /owed to you/);
  await axeCheck(a.page, '/invoices?view=collect (dark)');
  await visit(a.page, invoicePath);
  assert.equal(await a.page.locator(`form[action="${invoicePath}/cancel"]`).count(), 0, 'no cancelling once paid in part');
  await a.page.emulateMedia({ colorScheme: 'light' });
  await visit(a.page, '/invoices?view=overdue');
  await axeCheck(a.page, '/invoices?view=overdue');

  // The payment moved credit: the API agrees.
  const inv = await api('GET', `/api/v1${invoicePath}`, { token: debtor.token });
  assert.equal(inv.status, 200, inv.text);
  assert.equal(inv.json.paid, 3000);
  assert.equal(inv.json.remaining, 5000);
  assert.equal(inv.json.status, 'accepted');

  await a.context.close();
  await b.context.close();
});
