// Offers and needs: a member publishes an offer with accented words; another member finds it
// on a 360 px phone by an accented word typed without its accents, takes it up (a payment
// request follows) and leaves a reference. axe on every page.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  PHONE, assertNoHorizontalScroll, axeCheck, launch, newPage, signIn, submitAndWait as submit, visit,
} from './helpers.mjs';

let browser;
test.before(async () => {
  browser = await launch();
});
test.after(() => browser?.close());

async function signInInEnglish(page, email, next = '/market') {
  await signIn(page, email);
  await visit(page, `/lang/en?next=${next}`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
}

test('market: publish an offer, find it by an accented word on a phone, take it up', async () => {
  // A word made of letters only, unique to this run, so the search finds this offer alone.
  const tag = `bt${Date.now().toString(36).replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)])}`;
  const title = `Pêches séchées ${tag}`;

  const a = await newPage(browser);
  await signInInEnglish(a.page, 'person-901@distretto.example');
  await visit(a.page, '/market');
  await axeCheck(a.page, '/market');
  await Promise.all([a.page.waitForURL((u) => u.pathname === '/market/new'), a.page.click('main a[href="/market/new"]')]);
  await axeCheck(a.page, '/market/new');
  assert.match(await a.page.inputValue('#valid_until'), /^\d{4}-\d{2}-\d{2}$/, 'a validity is proposed');
  await a.page.check('input[name="side"][value="offer"]');
  await a.page.fill('#title', title);
  await a.page.selectOption('#category', 'preserved_food');
  await a.page.selectOption('#kind', 'good');
  await a.page.fill('#description', 'Séchées au soleil, en sachets de 200 g.');
  await a.page.fill('#credit', '-3');
  await a.page.fill('#locality', 'Aoste');
  await a.page.fill('#lat', '45.737');
  await a.page.fill('#lon', '7.320');
  await submit(a.page, a.page.locator('main form[action="/market/new"] button[type="submit"]'));
  assert.equal(new URL(a.page.url()).pathname, '/market/new', 'still on the form');
  assert.match(await a.page.getByRole('alert').innerText(), /Write the amount as a number/);
  assert.equal(await a.page.inputValue('#title'), title, 'values are kept');
  await axeCheck(a.page, '/market/new with an error');
  await a.page.fill('#credit', '3.50');
  await submit(a.page, a.page.locator('main form[action="/market/new"] button[type="submit"]'));
  assert.match(new URL(a.page.url()).pathname, /^\/market\/[0-9a-f-]{36}$/);
  assert.match(await a.page.getByRole('status').first().innerText(), /Published/);
  await axeCheck(a.page, 'a listing (its owner)');
  const listingPath = new URL(a.page.url()).pathname;

  // Another member, on a phone, searches without accents.
  const b = await newPage(browser, PHONE);
  await signInInEnglish(b.page, 'person-902@distretto.example');
  await visit(b.page, `/market?q=${encodeURIComponent(`sechees ${tag}`)}`);
  await assertNoHorizontalScroll(b.page);
  await axeCheck(b.page, '/market search (phone)');
  const link = b.page.locator(`main a[href="${listingPath}"]`);
  assert.equal(await link.count(), 1, 'the offer is found');
  await Promise.all([b.page.waitForURL((u) => u.pathname === listingPath), link.click()]);
  await assertNoHorizontalScroll(b.page);
  await axeCheck(b.page, 'a listing (phone)');
  await submit(b.page, b.page.locator(`main form[action="${listingPath}/takeup"] button[type="submit"]`));
  assert.match(await b.page.getByRole('status').first().innerText(), /Taken up/);
  assert.equal(await b.page.locator('main a[href^="/requests/"]').count(), 1, 'the payment request is linked');
  await b.page.check('input[name="rating"][value="positive"]');
  await b.page.fill('#text', 'Délicieuses !');
  await submit(b.page, b.page.locator(`main form[action="${listingPath}/reference"] button[type="submit"]`));
  assert.match(await b.page.locator('main').innerText(), /Délicieuses/);
  await assertNoHorizontalScroll(b.page);
  await axeCheck(b.page, 'a listing with its reference (phone)');

  // Taken: no longer found.
  await visit(b.page, `/market?q=${encodeURIComponent(tag)}`);
  assert.equal(await b.page.locator(`main a[href="${listingPath}"]`).count(), 0);
  await a.context.close();
  await b.context.close();
});
