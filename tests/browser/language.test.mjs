// Languages: Accept-Language picks the page language, the switcher changes it, and the choice
// is remembered (cookie) over Accept-Language on the next pages.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, visit } from './helpers.mjs';

const NAV = {
  en: { directory: 'Directory', map: 'Map', signIn: 'Sign in', title: 'Directory of members' },
  fr: { directory: 'Annuaire', map: 'Carte', signIn: 'Se connecter', title: 'Annuaire des membres' },
  it: { directory: 'Elenco dei soci', map: 'Mappa', signIn: 'Accedi', title: 'Elenco dei soci' },
};

let browser;
test.before(async () => {
  browser = await launch();
});
test.after(() => browser?.close());

/** Checks <html lang> and the main navigation's words. */
async function assertLanguage(page, code) {
  assert.equal(await page.getAttribute('html', 'lang'), code, `<html lang> on ${page.url()}`);
  const nav = page.locator('nav.site-nav');
  for (const word of [NAV[code].directory, NAV[code].map, NAV[code].signIn]) {
    assert.equal(await nav.getByRole('link', { name: word, exact: true }).count(), 1,
      `"${word}" in the ${code} navigation of ${page.url()}`);
  }
  const current = page.locator('nav.lang a[aria-current="true"]');
  assert.equal(await current.count(), 1, 'the switcher marks one language as current');
  assert.equal(await current.getAttribute('hreflang'), code);
}

for (const [code, header] of [['it', 'it'], ['fr', 'fr-CH, fr;q=0.9'], ['en', 'en-US,en;q=0.8']]) {
  test(`Accept-Language ${header} serves ${code}`, async () => {
    const { context, page } = await newPage(browser, { extraHTTPHeaders: { 'Accept-Language': header } });
    await visit(page, '/');
    await assertLanguage(page, code);
    await visit(page, '/directory');
    await assertLanguage(page, code);
    assert.equal(await page.locator('h1').innerText(), NAV[code].title);
    await context.close();
  });
}

test('the switcher changes the language, returns to the same page, and is remembered', async () => {
  const { context, page } = await newPage(browser, { extraHTTPHeaders: { 'Accept-Language': 'it' } });
  await visit(page, '/directory?kind=farm');
  await assertLanguage(page, 'it');

  // Italian → French, on the same page with the same filter.
  const switcher = page.locator('nav.lang');
  for (const name of ['Français', 'Italiano', 'English']) {
    assert.equal(await switcher.getByRole('link', { name, exact: true }).count(), 1, `switcher offers ${name}`);
  }
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/directory' && !u.pathname.startsWith('/lang')),
    switcher.getByRole('link', { name: 'Français', exact: true }).click(),
  ]);
  await assertLanguage(page, 'fr');
  assert.match(page.url(), /kind=farm/, 'back on the same page with the same filter');
  assert.equal(await page.inputValue('#kind'), 'farm');

  // Remembered on the next pages, although the browser still asks for Italian.
  const cookies = await context.cookies();
  assert.ok(cookies.some((c) => c.name === 'distretto_lang' && c.value === 'fr'), `a cookie remembers fr: ${JSON.stringify(cookies.map((c) => [c.name, c.value]))}`);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/map'),
    page.locator('nav.site-nav').getByRole('link', { name: 'Carte', exact: true }).click(),
  ]);
  await assertLanguage(page, 'fr');
  await visit(page, '/sign-in');
  await assertLanguage(page, 'fr');
  // Error pages too.
  await visit(page, '/nowhere', 404);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');

  // French → English.
  await visit(page, '/');
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/'),
    page.locator('nav.lang').getByRole('link', { name: 'English', exact: true }).click(),
  ]);
  await assertLanguage(page, 'en');
  await visit(page, '/register');
  await assertLanguage(page, 'en');
  await context.close();
});

test('each switcher link names its language in that language', async () => {
  const { context, page } = await newPage(browser);
  await visit(page, '/');
  const links = page.locator('nav.lang a');
  const langs = await links.evaluateAll((as) => as.map((a) => [a.getAttribute('lang'), a.getAttribute('hreflang'), a.textContent.trim()]));
  assert.deepEqual(langs.map(([l]) => l).sort(), ['en', 'fr', 'it']);
  for (const [l, h] of langs) assert.equal(l, h);
  await context.close();
});
