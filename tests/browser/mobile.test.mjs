// A 360×740 phone: no horizontal scrolling, the navigation within reach, forms usable by touch.
import test from 'node:test';
import assert from 'node:assert/strict';
import { COORDINATOR, PHONE, launch, newPage, organizations, signIn, unique, visit } from './helpers.mjs';


let browser;
let orgId;
test.before(async () => {
  browser = await launch();
  // The longest name is the hardest profile to fit.
  const items = (await organizations()).items;
  orgId = items.reduce((a, b) => (b.name.length > a.name.length ? b : a)).id;
});
test.after(() => browser?.close());

/** Fails when the page scrolls sideways, naming the elements that stick out. */
async function assertNoHorizontalScroll(page) {
  const m = await page.evaluate(() => {
    const width = window.innerWidth;
    const wide = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > width + 1) {
        wide.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} right=${Math.round(r.right)}`);
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide: wide.slice(0, 8) };
  });
  assert.ok(m.scrollWidth <= m.innerWidth + 1,
    `${page.url()} scrolls sideways: scrollWidth ${m.scrollWidth} > ${m.innerWidth}; wide: ${m.wide.join(', ')}`);
}

for (const path of ['/', '/directory', '/directory?kind=farm', '/map', 'ORG', '/sign-in', '/register', '/nowhere']) {
  test(`no horizontal scroll at 360 px on ${path === 'ORG' ? '/organizations/{id}' : path}`, async () => {
    const { context, page } = await newPage(browser, PHONE);
    const target = path === 'ORG' ? `/organizations/${orgId}` : path;
    await visit(page, target, path === '/nowhere' ? 404 : 200);
    if (await page.locator('[data-map]').count()) {
      await page.waitForSelector('[data-map][data-map-state]:not([data-map-state="loading"])', { timeout: 15000 });
    }
    assert.equal(await page.evaluate(() => window.innerWidth), 360);
    await assertNoHorizontalScroll(page);
    await context.close();
  });
}

test('no horizontal scroll at 360 px on the signed-in pages', async () => {
  const { context, page } = await newPage(browser, PHONE);
  await signIn(page, COORDINATOR);
  for (const path of ['/me', '/apply', '/coordination/applications', '/coordination/people', '/coordination/decisions', `/organizations/${orgId}`, `/organizations/${orgId}/edit`]) {
    await visit(page, path);
    await assertNoHorizontalScroll(page);
  }
  await context.close();
});

test('the navigation is on screen and large enough to tap', async () => {
  const { context, page } = await newPage(browser, PHONE);
  await visit(page, '/');
  const links = page.locator('nav.site-nav a, nav.lang a');
  const n = await links.count();
  assert.ok(n >= 4);
  for (let i = 0; i < n; i++) {
    const link = links.nth(i);
    assert.ok(await link.isVisible(), `${await link.innerText()} is visible`);
    const box = await link.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 361, `${await link.innerText()} fits the width: ${JSON.stringify(box)}`);
    assert.ok(box.height >= 24 && box.width >= 24, `${await link.innerText()} is at least 24×24 px: ${JSON.stringify(box)}`);
  }
  // Tapping "Directory" opens it.
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/directory'),
    page.locator('nav.site-nav').getByRole('link', { name: 'Directory', exact: true }).tap(),
  ]);
  assert.ok((await page.locator('ul.results li').count()) > 0);
  await assertNoHorizontalScroll(page);
  await context.close();
});

test('the register form is usable on a phone', async () => {
  const { context, page } = await newPage(browser, PHONE);
  await visit(page, '/register');
  for (const id of ['name', 'email', 'password']) {
    const input = page.locator(`#${id}`);
    const box = await input.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 361, `#${id} fits the screen: ${JSON.stringify(box)}`);
    assert.ok(box.height >= 44, `#${id} is tall enough to tap: ${box.height}`);
    const fontSize = await input.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(fontSize >= 16, `#${id} font ${fontSize}px (smaller makes phones zoom in)`);
  }
  assert.equal(await page.getAttribute('#email', 'type'), 'email', 'the e-mail keyboard');
  assert.equal(await page.getAttribute('#email', 'autocomplete'), 'email');
  assert.equal(await page.getAttribute('#password', 'autocomplete'), 'new-password');

  const id = unique();
  await page.locator('label[for="name"]').tap();
  await page.keyboard.type(`Phone user ${id}`);
  await page.locator('#email').tap();
  await page.keyboard.type(`phone-${id}@example.org`);
  await page.locator('#password').tap();
  await page.keyboard.type('a phrase typed on a phone');
  const submit = page.locator('main form button[type="submit"]');
  const box = await submit.boundingBox();
  assert.ok(box.height >= 44 && box.x + box.width <= 361);
  await Promise.all([page.waitForURL((u) => u.pathname === '/apply'), submit.tap()]);
  await assertNoHorizontalScroll(page);
  await context.close();
});
