// Accessibility: axe (WCAG 2.0/2.1 A and AA; serious and critical violations fail) on every
// page of ours, as a visitor, a newly registered person, an organisation admin and a
// coordinator, in the light and dark colour schemes; plus a visible keyboard focus.
// Not the API's documents (/api/openapi.json, Swagger UI): they are not our pages.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  COORDINATOR, admittedOrgAdmin, api, axeCheck, invitation, launch, newPage,
  organizations, signIn, unique, visit,
} from './helpers.mjs';

let browser;
let demoOrg; // a demo organisation with a position (map pin)
let admin; // a person admitted with a new organisation (its admin)
let invite; // an invitation link into the admin's organisation
test.before(async () => {
  browser = await launch();
  demoOrg = (await organizations()).items.find((o) => o.lat != null && o.lon != null);
  admin = await admittedOrgAdmin('a11y');
  invite = await invitation(admin.orgId, admin.token);
});
test.after(() => browser?.close());

/** Opens a page, lets its map (if any) finish, and runs axe on it. */
async function check(page, path, status = 200) {
  await visit(page, path, status);
  if (await page.locator('[data-map]').count()) {
    await page.waitForSelector('[data-map][data-map-state]:not([data-map-state="loading"])', { timeout: 15000 });
  }
  await axeCheck(page, `${path} (${status})`);
}

/** Runs every check, then fails once listing every page that failed. */
async function checkAll(page, pages) {
  const failures = [];
  for (const [path, status = 200] of pages) {
    try {
      await check(page, path, status);
    } catch (e) {
      failures.push(`${path}: ${e.message}`);
    }
  }
  assert.deepEqual(failures, [], failures.join('\n\n'));
}

// The pages everyone sees; checked as a visitor and again with the signed-in chrome.
const publicPages = () => [
  ['/'],
  ['/directory'],
  ['/directory?kind=farm'],
  ['/map'],
  [`/organizations/${demoOrg.id}`],
  ['/nowhere', 404],
];

test('axeCheck itself fails on a page with serious violations', async () => {
  const { context, page } = await newPage(browser);
  await visit(page, '/sign-in');
  // Break the page on purpose: an unlabelled field and white-on-white text.
  await page.evaluate(() => {
    document.querySelector('label[for="email"]').remove();
    document.querySelector('h1').style.cssText = 'color:#fff;background:#fff';
  });
  await assert.rejects(axeCheck(page, 'a deliberately broken page', { quiet: true }), /label|color-contrast/);
  await context.close();
});

test('axe: every page a visitor sees', async () => {
  const { context, page } = await newPage(browser);
  await checkAll(page, [
    ...publicPages(),
    ['/directory?q=zzzz-nothing-matches'],
    ['/directory?offset=50'],
    [`/organizations/${admin.orgId}`],
    ['/sign-in'],
    ['/register'],
    ['/apply', 401], // the "please sign in" error page
    [`/invitations/${invite.token}`],
  ]);
  await context.close();
});

test('axe: dark colour scheme, and the Italian and French pages', async () => {
  for (const [options, pages] of [
    [{ colorScheme: 'dark', extraHTTPHeaders: { 'Accept-Language': 'fr' } },
      [['/'], ['/directory'], [`/organizations/${demoOrg.id}`], ['/register'], ['/nowhere', 404]]],
    [{ extraHTTPHeaders: { 'Accept-Language': 'it' } }, [['/'], ['/sign-in']]],
  ]) {
    const { context, page } = await newPage(browser, options);
    await checkAll(page, pages);
    await context.close();
  }
});

test('axe: a newly registered person (apply, me, invitation, forbidden)', async () => {
  const { context, page } = await newPage(browser);
  const id = unique();
  const email = `a11y-new-${id}@example.org`;
  const created = await api('POST', '/api/v1/people', { body: { email, name: `New ${id}`, password: 'a long enough pass phrase' } });
  assert.equal(created.status, 201);
  await signIn(page, email, 'a long enough pass phrase');
  await checkAll(page, [
    ['/apply'],
    [`/apply?organization=${demoOrg.id}`],
    ['/me'],
    [`/invitations/${invite.token}`],
    [`/organizations/${demoOrg.id}/edit`, 403],
  ]);

  // The apply form after a validation error (an error summary, fields kept).
  await visit(page, '/apply');
  await page.check('input[name="kind"][value="new_organization"]');
  await page.fill('#name', 'X');
  await page.click('main form button[type="submit"]');
  await page.waitForSelector('[role="alert"]');
  await axeCheck(page, '/apply with an error');
  await context.close();
});

test('axe: an organisation admin (me, profile with invitation link, edit)', async () => {
  const { context, page } = await newPage(browser);
  await signIn(page, admin.email, admin.password);
  await checkAll(page, [
    ['/me'],
    [`/organizations/${admin.orgId}`],
    [`/organizations/${admin.orgId}/edit`],
  ]);

  // The profile showing a fresh invitation link.
  await visit(page, `/organizations/${admin.orgId}`);
  await Promise.all([
    page.waitForLoadState('load'),
    page.getByRole('button', { name: 'Create an invitation link' }).click(),
  ]);
  await page.waitForSelector('#invitation-link');
  assert.match(await page.inputValue('#invitation-link'), /\/invitations\/[0-9a-f]{64}$/);
  await axeCheck(page, 'profile with an invitation link');

  // The edit form after a validation error.
  await visit(page, `/organizations/${admin.orgId}/edit`);
  await page.fill('#website', 'not a website');
  await page.click('main form button[type="submit"]');
  await page.waitForSelector('[role="alert"]');
  await axeCheck(page, 'edit form with an error');
  await context.close();
});

test('axe: a coordinator (applications, people, decisions, profiles)', async () => {
  const { context, page } = await newPage(browser);
  await signIn(page, COORDINATOR);
  await checkAll(page, [
    ['/coordination/applications'],
    ['/coordination/applications?status=admitted'],
    ['/coordination/people'],
    ['/coordination/decisions'],
    ['/me'],
    [`/organizations/${admin.orgId}`], // with the suspend form
    ...publicPages(),
  ]);

  // A decision without a reason is refused with an error summary.
  await visit(page, '/coordination/applications');
  const card = page.locator('li.card').filter({ has: page.locator('form') }).first();
  if (await card.count()) {
    await card.locator('input[value="reject"]').check();
    await card.locator('textarea').evaluate((t) => { t.removeAttribute('required'); t.removeAttribute('minlength'); });
    await card.getByRole('button').click();
    await page.waitForSelector('[role="alert"]');
    await axeCheck(page, 'applications with an error');
  }
  await context.close();
});

/** Tabs through every stop of the page; returns the stops without a visible focus indicator. */
async function tabThrough(page, maxStops = 200) {
  await page.evaluate(() => { window.__tabbed = new WeakSet(); });
  const bad = [];
  let stops = 0;
  for (let i = 0; i < maxStops; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || window.__tabbed.has(el)) return null;
      window.__tabbed.add(el);
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return {
        what: `<${el.tagName.toLowerCase()}> "${(el.textContent || el.getAttribute('aria-label') || el.id || '').trim().slice(0, 40)}"`,
        indicator: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== 'none'),
        style: `outline ${s.outlineStyle} ${s.outlineWidth}; box-shadow ${s.boxShadow}`,
        shown: r.width > 2 && r.height > 2,
      };
    });
    if (!f) break;
    stops += 1;
    if (!f.indicator || !f.shown) bad.push(`${f.what}: ${f.shown ? f.style : 'not shown when focused'}`);
  }
  return { stops, bad };
}

test('keyboard focus is visible on every tab stop, and the skip link works', async () => {
  const { context, page } = await newPage(browser);
  await visit(page, '/');

  // The first Tab reaches the skip link, which shows itself with an outline.
  await page.keyboard.press('Tab');
  const skip = await page.evaluate(() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return {
      href: el.getAttribute('href'),
      outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
      shadow: s.boxShadow !== 'none',
      onScreen: r.bottom > 0 && r.top < window.innerHeight && r.height > 10,
    };
  });
  assert.equal(skip.href, '#main', 'the first tab stop is the skip link');
  assert.ok(skip.outline || skip.shadow, 'the skip link shows focus');
  assert.ok(skip.onScreen, 'the focused skip link is on screen');

  // Activating it moves focus to the main content; the next Tab stays in main.
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  await page.keyboard.press('Tab');
  assert.ok(await page.evaluate(() => document.activeElement.closest('main') !== null), 'focus continues in main');

  // Every tab stop of these pages (links, buttons, fields, the map and its controls) shows focus.
  for (const [path, options] of [
    ['/', {}],
    [`/organizations/${demoOrg.id}`, { colorScheme: 'dark' }],
  ]) {
    const { context: c, page: p } = await newPage(browser, options);
    await visit(p, path);
    if (await p.locator('[data-map]').count()) {
      await p.waitForSelector('[data-map][data-map-state]:not([data-map-state="loading"])', { timeout: 15000 });
    }
    const { stops, bad } = await tabThrough(p);
    assert.ok(stops >= 10, `${path}: ${stops} tab stops`);
    assert.deepEqual(bad, [], `${path}: focus not visible on\n${bad.join('\n')}`);
    await c.close();
  }
  await context.close();
});

test('signed-in chrome: the sign-out button is reached by keyboard and shows focus', async () => {
  const { context, page } = await newPage(browser);
  await signIn(page, COORDINATOR);
  await visit(page, '/directory');
  // Tab from the last link before it, so :focus-visible applies as for a keyboard user.
  await page.locator('nav.site-nav a', { hasText: 'Coordination' }).focus();
  await page.keyboard.press('Tab');
  const f = await page.evaluate(() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    return {
      text: el.textContent.trim(),
      indicator: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none',
      style: `${s.outlineStyle} ${s.outlineWidth} / ${s.boxShadow}`,
    };
  });
  assert.equal(f.text, 'Sign out');
  assert.ok(f.indicator, `sign out shows focus: ${f.style}`);
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.keyboard.press('Enter')]);
  assert.equal(await page.locator('nav.site-nav a', { hasText: 'Sign in' }).count(), 1, 'signed out');
  await context.close();
});

test('the navigation marks the page you are on', async () => {
  const { context, page } = await newPage(browser);
  const current = () => page.locator('header a[aria-current="page"]').allInnerTexts();
  await visit(page, '/directory?kind=farm');
  assert.deepEqual(await current(), ['Directory']);
  await visit(page, '/map');
  assert.deepEqual(await current(), ['Map']);
  await visit(page, '/sign-in');
  assert.deepEqual(await current(), ['Sign in']);
  await visit(page, '/');
  assert.deepEqual(await current(), []);
  await signIn(page, COORDINATOR);
  await visit(page, '/me');
  assert.deepEqual(await current(), ['My profile']);
  await visit(page, '/coordination/people');
  assert.deepEqual(await current(), ['Coordination']);
  assert.deepEqual(await page.locator('main nav a[aria-current="page"]').allInnerTexts(), ['People']);
  await context.close();
});

// Error pages know who is signed in, and send visitors back to the full address after sign-in.
test('an error page keeps the signed-in navigation', async () => {
  const { context, page } = await newPage(browser);
  await signIn(page, COORDINATOR);
  await visit(page, '/nowhere', 404);
  assert.equal(await page.locator('nav.site-nav a[href="/sign-in"]').count(), 0, 'no "Sign in" link for a signed-in person');
  assert.equal(await page.locator('nav.site-nav button', { hasText: 'Sign out' }).count(), 1, 'sign out is offered');
  await context.close();
});

test('the 401 page\'s sign-in link returns to the full address, query included', async () => {
  const { context, page } = await newPage(browser);
  await visit(page, `/apply?organization=${demoOrg.id}`, 401);
  const href = await page.locator('main a.button[href^="/sign-in"]').getAttribute('href');
  assert.ok(decodeURIComponent(href).includes(`organization=${demoOrg.id}`), `sign-in link ${href}`);
  await context.close();
});
