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
  await assert.rejects(axeCheck(page, 'a deliberately broken page'), /label|color-contrast/);
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

test('keyboard focus is visible and the skip link works', async () => {
  const { context, page } = await newPage(browser);
  await visit(page, '/');

  /** The focused element and whether it shows a focus indicator. */
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    const shadow = s.boxShadow && s.boxShadow !== 'none';
    const r = el.getBoundingClientRect();
    return {
      tag: el.tagName.toLowerCase(),
      text: (el.textContent || '').trim().slice(0, 40),
      href: el.getAttribute('href'),
      indicator: outline || shadow,
      style: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor} / ${s.boxShadow}`,
      onScreen: r.bottom > 0 && r.right > 0 && r.top < window.innerHeight && r.left < window.innerWidth,
    };
  });

  // The first Tab reaches the skip link, which becomes visible with an outline.
  await page.keyboard.press('Tab');
  const skip = await focused();
  assert.equal(skip.tag, 'a');
  assert.equal(skip.href, '#main');
  assert.ok(skip.indicator, `the skip link shows focus: ${skip.style}`);
  assert.ok(skip.onScreen, 'the focused skip link is on screen');

  // The next stops (district name, navigation, switcher, …) all show focus.
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    const f = await focused();
    assert.ok(f.indicator, `focus on <${f.tag}> "${f.text}" is visible: ${f.style}`);
    assert.ok(f.onScreen, `focused <${f.tag}> "${f.text}" is on screen`);
  }

  // Activating the skip link moves focus to the main content.
  await visit(page, '/directory');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  await page.keyboard.press('Tab');
  const first = await focused();
  assert.ok(first.indicator, `the first control in main shows focus: ${first.style}`);
  assert.equal(await page.evaluate(() => document.activeElement.closest('main') !== null), true);

  // Form controls and buttons too.
  await visit(page, '/sign-in');
  await page.focus('#email');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const button = await focused();
  assert.equal(button.tag, 'button');
  assert.ok(button.indicator, `the submit button shows focus: ${button.style}`);
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
