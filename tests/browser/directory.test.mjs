// The directory and the map: accent- and case-blind search, filters, pagination, the Leaflet
// map (offline: tiles are blocked), and the same directory with JavaScript off.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, organizations, resultsCount, texts, url, visit } from './helpers.mjs';

/** Lower-case without accents, as the directory search compares. */
const fold = (s) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

let browser;
test.before(async () => {
  browser = await launch();
});
test.after(() => browser?.close());

test('search ignores accents and case', async () => {
  const all = (await organizations()).items;
  // The demo district has "Coopérative …" names: the word is searched without its accent.
  const accented = all.filter((o) => /coopérative/i.test(o.name));
  assert.ok(accented.length > 0, 'the demo data has names with "Coopérative"');

  const { context, page } = await newPage(browser);
  const counts = {};
  for (const q of ['cooperative', 'COOPÉRATIVE', 'Coopérative']) {
    await visit(page, `/directory?q=${encodeURIComponent(q)}`);
    counts[q] = await resultsCount(page);
    const names = await texts(page, 'ul.results h2 a');
    for (const n of accented.slice(0, 50)) {
      assert.ok(names.includes(n.name), `"${q}" finds ${n.name}`);
    }
  }
  assert.equal(counts.cooperative, counts['COOPÉRATIVE']);
  assert.equal(counts.cooperative, counts['Coopérative']);
  assert.ok(counts.cooperative >= accented.length);

  // A place written without its accent: "chatillon" finds Châtillon.
  await visit(page, '/directory?q=chatillon');
  const names = await texts(page, 'ul.results h2 a');
  const metas = await texts(page, 'ul.results .meta');
  assert.ok(names.length > 0, 'chatillon finds something');
  for (let i = 0; i < names.length; i++) {
    assert.ok(fold(names[i]).includes('chatillon') || fold(metas[i]).includes('chatillon'),
      `${names[i]} (${metas[i]}) matches "chatillon"`);
  }
  assert.ok(names.some((n) => n.includes('Châtillon')), 'an accented Châtillon name is found');

  // Typing in the search box and pressing Enter (the form, not a crafted URL).
  await visit(page, '/directory');
  await page.fill('#q', 'repair cafe');
  await Promise.all([page.waitForURL(/q=repair/), page.press('#q', 'Enter')]);
  const cafes = await texts(page, 'ul.results h2 a');
  assert.ok(cafes.length > 0 && cafes.every((n) => /Repair Café/.test(n)), `repair cafe: ${cafes}`);
  await context.close();
});

test('kind, sector and place filters narrow the results (autosubmit with JavaScript)', async () => {
  const { context, page } = await newPage(browser);
  await visit(page, '/directory');
  const total = await resultsCount(page);
  assert.ok(total > 100, `demo directory total ${total}`);

  // Changing a select submits the form (app.js); the URL and the count follow.
  await Promise.all([page.waitForURL(/kind=farm/), page.selectOption('#kind', 'farm')]);
  const farms = await resultsCount(page);
  assert.ok(farms > 0 && farms < total, `farms ${farms} < ${total}`);
  const badges = await texts(page, 'ul.results .kind-badge');
  assert.ok(badges.length > 0 && badges.every((b) => b === 'Farm'), `only farms: ${badges}`);
  assert.equal(farms, (await organizations('kind=farm')).total);

  await Promise.all([page.waitForURL(/sector=agriculture/), page.selectOption('#sector', 'agriculture')]);
  const farmsInAgriculture = await resultsCount(page);
  assert.ok(farmsInAgriculture > 0 && farmsInAgriculture <= farms);
  assert.equal(farmsInAgriculture, (await organizations('kind=farm&sector=agriculture')).total);

  await Promise.all([page.waitForURL(/kind=&|kind=$/), page.selectOption('#kind', '')]);
  await Promise.all([page.waitForURL(/sector=&|sector=$/), page.selectOption('#sector', '')]);
  assert.equal(await resultsCount(page), total);

  await Promise.all([page.waitForURL(/place=Aosta/), page.selectOption('#place', 'Aosta')]);
  const inAosta = await resultsCount(page);
  assert.ok(inAosta > 0 && inAosta < total, `Aosta ${inAosta} < ${total}`);
  const metas = await texts(page, 'ul.results .meta');
  assert.ok(metas.every((m) => m.includes('Aosta')), 'every result is in Aosta');
  await context.close();
});

test('pagination: next and previous pages', async () => {
  const { context, page } = await newPage(browser);
  const links = () => page.locator('ul.results h2 a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  await visit(page, '/directory');
  const total = await resultsCount(page);
  const first = await links();
  assert.ok(first.length > 0 && first.length < total, 'the first page is not everything');
  assert.equal(await page.locator('nav.pagination a[rel="prev"]').count(), 0, 'no previous page on page 1');

  await Promise.all([page.waitForURL(/offset=/), page.click('nav.pagination a[rel="next"]')]);
  const second = await links();
  assert.ok(second.length > 0);
  assert.deepEqual(second.filter((h) => first.includes(h)), [], 'page 2 repeats nothing of page 1');
  assert.match(await page.locator('.results-count').innerText(), new RegExp(`${first.length + 1}\\D`));
  assert.equal(await resultsCount(page), total);

  await Promise.all([page.waitForURL((u) => !/offset=[1-9]/.test(u.search)), page.click('nav.pagination a[rel="prev"]')]);
  assert.deepEqual(await links(), first);

  // Walk to the last page: it has no "next", and every organisation was seen once.
  const seen = new Set(first);
  for (let i = 0; i < 50 && (await page.locator('nav.pagination a[rel="next"]').count()); i++) {
    await Promise.all([page.waitForURL(/offset=/), page.click('nav.pagination a[rel="next"]')]);
    for (const h of await links()) seen.add(h);
  }
  assert.equal(seen.size, total, 'paging shows every organisation once');

  // Filters survive paging.
  await visit(page, '/directory?kind=farm');
  const farms = await resultsCount(page);
  if (farms > first.length) {
    await Promise.all([page.waitForURL(/offset=/), page.click('nav.pagination a[rel="next"]')]);
    assert.match(page.url(), /kind=farm/);
    assert.equal(await resultsCount(page), farms);
  }
  await context.close();
});

test('the map draws every member on a canvas with JavaScript, offline', async () => {
  const { context, page } = await newPage(browser);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await visit(page, '/map');
  const map = page.locator('[data-map]');
  await page.waitForSelector('[data-map][data-map-state="ready"]', { timeout: 15000 });
  assert.ok(await map.evaluate((el) => el.classList.contains('leaflet-container')), 'a Leaflet container');
  const canvas = page.locator('[data-map] .leaflet-overlay-pane canvas');
  assert.ok(await canvas.count() >= 1, 'markers are drawn on a canvas');
  const box = await map.boundingBox();
  assert.ok(box && box.height > 200 && box.width > 200, `map size ${JSON.stringify(box)}`);
  // The map region keeps its accessible name and the list link stays in the page.
  assert.equal(await map.getAttribute('role'), 'region');
  assert.ok((await map.getAttribute('aria-label')).length > 0);
  assert.ok(await page.locator('a[href^="/directory"]').count() >= 1);
  // Every point comes from the directory: as many as the API's organisations with a position.
  const points = await page.evaluate(async () => (await (await fetch('/directory/points.json')).json()).total);
  const withPosition = (await organizations()).items.filter((o) => o.lat != null && o.lon != null).length;
  assert.equal(points, withPosition);
  // Tiles were asked for (and blocked): nothing left the machine, the map still works.
  assert.ok(context.blocked.every((u) => !u.startsWith(url('/'))));
  assert.deepEqual(errors, [], 'no script errors');

  // Filters carry over to the map's points.
  await visit(page, '/map?kind=farm');
  await page.waitForSelector('[data-map][data-map-state="ready"]', { timeout: 15000 });
  const farmPoints = await page.evaluate(async () => (await (await fetch('/directory/points.json?kind=farm')).json()).total);
  assert.ok(farmPoints > 0 && farmPoints < points);
  await context.close();
});

test('without JavaScript the directory lists, filters and pages, and the map page links to it', async () => {
  const { context, page } = await newPage(browser, { javaScriptEnabled: false });
  await visit(page, '/directory');
  const total = await resultsCount(page);
  assert.ok((await texts(page, 'ul.results h2 a')).length > 0);

  // Filter with the submit button.
  await page.selectOption('#kind', 'association');
  await page.selectOption('#place', 'Aosta');
  await Promise.all([page.waitForURL(/kind=association/), page.click('form.filters button[type="submit"]')]);
  const filtered = await resultsCount(page);
  assert.ok(filtered > 0 && filtered < total, `associations in Aosta: ${filtered}`);
  assert.equal(filtered, (await organizations('kind=association&place=Aosta')).total);
  assert.equal(await page.inputValue('#kind'), 'association', 'the chosen filter stays selected');

  // Page with plain links.
  await visit(page, '/directory');
  await Promise.all([page.waitForURL(/offset=/), page.click('nav.pagination a[rel="next"]')]);
  assert.ok((await texts(page, 'ul.results h2 a')).length > 0);
  await Promise.all([page.waitForURL((u) => !/offset=[1-9]/.test(u.search)), page.click('nav.pagination a[rel="prev"]')]);

  // The map page says it needs JavaScript and offers the list.
  await visit(page, '/map');
  assert.equal(await page.locator('.leaflet-container').count(), 0);
  const listLinks = page.locator('main a[href^="/directory"]');
  assert.ok(await listLinks.count() >= 1);
  await Promise.all([page.waitForURL(/\/directory/), listLinks.first().click()]);
  assert.ok(await resultsCount(page) > 0);
  await context.close();
});

test('a profile shows its pin on a map, or its coordinates without JavaScript', async () => {
  const org = (await organizations()).items.find((o) => o.lat != null && o.lon != null);
  assert.ok(org, 'a demo organisation with a position');

  const { context, page } = await newPage(browser);
  await visit(page, `/organizations/${org.id}`);
  assert.equal(await page.locator('h1').innerText(), org.name);
  await page.waitForSelector('[data-map][data-map-state="ready"]', { timeout: 15000 });
  assert.ok(await page.locator('section[aria-labelledby="where"] .leaflet-container canvas').count() >= 1,
    'the pin is drawn');
  // The single pin sits in the middle of the map: clicking it opens a popup with the name.
  const pinMap = page.locator('section[aria-labelledby="where"] .leaflet-container');
  await pinMap.scrollIntoViewIfNeeded();
  const box = await pinMap.boundingBox();
  await pinMap.click({ position: { x: box.width / 2, y: box.height / 2 } });
  const popup = page.locator('.leaflet-popup-content');
  await popup.waitFor({ timeout: 5000 });
  assert.match(await popup.innerText(), new RegExp(org.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await context.close();

  const noJs = await newPage(browser, { javaScriptEnabled: false });
  await visit(noJs.page, `/organizations/${org.id}`);
  const where = await noJs.page.locator('section[aria-labelledby="where"]').innerText();
  assert.match(where, /Latitude/);
  assert.ok(where.includes(String(org.lat)) && where.includes(String(org.lon)), `coordinates in: ${where}`);
  await noJs.context.close();
});
