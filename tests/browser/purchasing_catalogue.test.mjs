// Producers' catalogues on a 360 px phone, on the demo district (whose farms have no products
// yet): a farm's admin adds a product through the form (and sees a refusal first), imports a
// CSV file, and a household browses the catalogue from the purchasing page. A purchasing
// group's admin adds a pickup point. axe on every page; no page scrolls sideways.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  PHONE, adminOf, assertNoHorizontalScroll, axeCheck, launch, newPage, signIn,
  submitAndWait as submit, unique, visit,
} from './helpers.mjs';

let browser;
test.before(async () => {
  browser = await launch();
});
test.after(() => browser?.close());

test('a farm keeps its catalogue and a household browses it, on a phone', async () => {
  const farm = await adminOf('farm', 121, 161);
  const tag = unique().slice(-6);
  const catalogue = `/purchasing/producers/${farm.orgId}/catalogue`;

  const k = await newPage(browser, PHONE);
  await signIn(k.page, farm.email);
  await visit(k.page, `/lang/en?next=${catalogue}`);
  await axeCheck(k.page, 'catalogue (keeper)');
  await assertNoHorizontalScroll(k.page);

  // The form refuses a price with too many decimals, keeping what was typed.
  await Promise.all([k.page.waitForEvent('load'), k.page.getByRole('link', { name: 'Add a product' }).click()]);
  await axeCheck(k.page, 'new product form');
  await assertNoHorizontalScroll(k.page);
  const name = `Pomodori ${tag}`;
  await k.page.fill('#name', name);
  await k.page.fill('#sku', `TOM-${tag}`);
  await k.page.selectOption('#unit', 'kg');
  await k.page.fill('#step', '0,5');
  await k.page.fill('#price_euro', '3,205');
  await k.page.fill('#price_credit', '2,5');
  await k.page.fill('#vat_rate', '4');
  await k.page.check('#cert-organic');
  await submit(k.page, k.page.locator('main form button[type="submit"]').first());
  assert.match(await k.page.getByRole('alert').innerText(), /The price must be a positive amount/);
  assert.equal(await k.page.inputValue('#name'), name);
  assert.equal(await k.page.getAttribute('#price_euro', 'aria-invalid'), 'true');
  await axeCheck(k.page, 'new product form (refused)');

  await k.page.fill('#price_euro', '3,20');
  await submit(k.page, k.page.locator('main form button[type="submit"]').first());
  assert.equal(new URL(k.page.url()).pathname, catalogue);
  assert.match(await k.page.getByRole('status').innerText(), /The product was added/);
  assert.match(await k.page.locator('main').innerText(), new RegExp(name));

  // A CSV file from a spreadsheet: two more products.
  const csv = [
    'sku,name,description,unit,step,package_size,price_euro,price_credit,vat_rate,origin,certifications,season,stock',
    `MEL-${tag},Mele ${tag},Renette,kg,1,,2.40,1.90,4,Gressan,organic,9-12,`,
    `UOV-${tag},Uova ${tag},,piece,6,,0.45,,10,,,,120`,
  ].join('\n');
  await k.page.setInputFiles('#file', { name: 'catalogue.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await submit(k.page, k.page.getByRole('button', { name: 'Import', exact: true }));
  assert.match(await k.page.getByRole('status').innerText(), /Catalogue imported: 2 added, 0 replaced/);
  await axeCheck(k.page, 'catalogue after import');
  await assertNoHorizontalScroll(k.page);

  // A household finds the farm on the purchasing page and reads the catalogue.
  const h = await newPage(browser, PHONE);
  await signIn(h.page, 'person-333@distretto.example');
  await visit(h.page, '/lang/en?next=/purchasing');
  await axeCheck(h.page, '/purchasing');
  await assertNoHorizontalScroll(h.page);
  await Promise.all([h.page.waitForEvent('load'), h.page.locator(`a[href="${catalogue}"]`).first().click()]);
  const text = await h.page.locator('main').innerText();
  for (const product of [name, `Mele ${tag}`, `Uova ${tag}`]) assert.match(text, new RegExp(product));
  assert.match(text, /September, October, November, December/);
  assert.equal(await h.page.getByRole('button', { name: /Withdraw/ }).count(), 0, 'no keeper buttons');
  await axeCheck(h.page, 'catalogue (household)');
  await h.page.emulateMedia({ colorScheme: 'dark' });
  await axeCheck(h.page, 'catalogue (household, dark)');
  await assertNoHorizontalScroll(h.page);

  // Both downloads are offered.
  const csvOut = await h.page.evaluate(async (p) => (await fetch(p)).text(), `${catalogue}/export.csv`);
  assert.match(csvOut, new RegExp(`MEL-${tag}`));
  await Promise.all([k.context.close(), h.context.close()]);
});

test('a purchasing group adds a pickup point, on a phone', async () => {
  const gas = await adminOf('purchasing_group', 121, 161);
  const g = await newPage(browser, PHONE);
  await signIn(g.page, gas.email);
  const path = `/purchasing/groups/${gas.orgId}/pickups`;
  await visit(g.page, `/lang/en?next=${path}`);
  await axeCheck(g.page, 'pickup points');
  const name = `Bottega ${unique().slice(-6)}`;
  await g.page.fill('#name', name);
  await g.page.fill('#address', 'Via Roma 1, Aosta');
  await g.page.fill('#coordinates', '45.7371, 7.3151');
  await submit(g.page, g.page.getByRole('button', { name: 'Add the pickup point' }));
  assert.match(await g.page.getByRole('status').innerText(), /The pickup point was added/);
  assert.match(await g.page.locator('main').innerText(), new RegExp(name));
  await axeCheck(g.page, 'pickup points (after adding)');
  await assertNoHorizontalScroll(g.page);
  await g.context.close();
});
