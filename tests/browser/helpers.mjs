// Shared helpers of the browser tests: Debian's Chromium driven by playwright-core (never a
// downloaded browser), one context per test, no network beyond the loopback server, and axe.
//
// Run through tests/browser/run.sh, which starts a demo server and exports BASE_URL.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const CHROMIUM = '/usr/bin/chromium';
export const BASE_URL = (process.env.BASE_URL || '').replace(/\/$/, '');
/** Everyone's password in the demo district (run.sh passes it to `serve --demo`). */
export const DEMO_PASSWORD = process.env.DEMO_PASSWORD || 'browser-tests-pw';
export const COORDINATOR = 'coordinator@distretto.example';

if (!BASE_URL) {
  throw new Error('BASE_URL is not set: run the browser tests through tests/browser/run.sh');
}
if (!existsSync(CHROMIUM)) {
  throw new Error(`${CHROMIUM} is missing: apt-get install chromium (never a downloaded browser)`);
}

/** Launches Chromium exactly as STACK.md says. */
export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Whether a URL goes to this machine (or is no network at all: data:, blob:, about:). */
export function isLocal(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    return true;
  }
  return LOOPBACK.has(u.hostname);
}

/**
 * A fresh context (own cookies) with every non-loopback request aborted, so map tiles
 * and anything else external never reach the network. `blocked` lists what was stopped.
 * Options go to browser.newContext; `locale` defaults to English unless the options set an
 * Accept-Language header (Chromium's locale would override it).
 */
export async function newContext(browser, options = {}) {
  const acceptLanguage = Object.keys(options.extraHTTPHeaders || {}).some((h) => h.toLowerCase() === 'accept-language');
  const context = await browser.newContext({ ...(acceptLanguage ? {} : { locale: 'en-GB' }), ...options });
  context.blocked = [];
  await context.route(
    (url) => !isLocal(url.href),
    (route) => {
      context.blocked.push(route.request().url());
      return route.abort('blockedbyclient');
    },
  );
  return context;
}

/** A context and a page in it. */
export async function newPage(browser, options = {}) {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  return { context, page };
}

/** An absolute URL of the server under test. */
export function url(path) {
  return BASE_URL + path;
}

/** Opens `path` and checks the status (200 unless told otherwise). */
export async function visit(page, path, status = 200) {
  const res = await page.goto(url(path), { waitUntil: 'load' });
  assert.ok(res, `no response for ${path}`);
  assert.equal(res.status(), status, `GET ${path}: status ${res.status()}`);
  return res;
}

/** Signs in through the page form and waits for the redirect. */
export async function signIn(page, email, password = DEMO_PASSWORD) {
  await visit(page, '/sign-in');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/sign-in')),
    page.click('main form button[type="submit"]'),
  ]);
}

/** Registers a new person through the page form; lands on /apply. */
export async function register(page, { name, email, password = 'a long enough pass phrase' }) {
  await visit(page, '/register');
  await page.fill('#name', name);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/apply'),
    page.click('main form button[type="submit"]'),
  ]);
}

/** A unique suffix so reruns against the same database never clash. */
export function unique() {
  return `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
}

/** JSON from the API (Node's fetch: no browser needed). */
export async function api(method, path, { token, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url(path), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

/** An API bearer token for a login. */
export async function apiToken(email, password = DEMO_PASSWORD) {
  const r = await api('POST', '/api/v1/tokens', { body: { email, password } });
  assert.equal(r.status, 201, `POST /api/v1/tokens: ${r.status} ${r.text}`);
  return r.json.token;
}

/** Organisations from the open-data API. */
export async function organizations(query = '') {
  const r = await api('GET', `/api/v1/organizations?limit=500${query ? `&${query}` : ''}`);
  assert.equal(r.status, 200, `GET /api/v1/organizations: ${r.status}`);
  return r.json;
}

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const FAILING_IMPACTS = new Set(['serious', 'critical']);

/**
 * Runs axe (WCAG 2.0/2.1 A and AA) on the page and fails on any serious or critical
 * violation, printing each one's id, help and targets. Returns the full results.
 */
export async function axeCheck(page, label = page.url(), { quiet = false } = {}) {
  // Legacy mode runs axe.run() in the page itself instead of runPartial() per frame plus
  // finishRun() in a new blank page: the same rules and results for our pages (they have no
  // iframes), in half the time.
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).setLegacyMode(true).analyze();
  const bad = results.violations.filter((v) => FAILING_IMPACTS.has(v.impact));
  const minor = results.violations.filter((v) => !FAILING_IMPACTS.has(v.impact));
  for (const v of minor) {
    console.log(`axe (${v.impact}, not failing) ${label}: ${v.id} — ${v.help}`);
  }
  if (bad.length) {
    const report = bad
      .map((v) => {
        const targets = v.nodes
          .slice(0, 10)
          .map((n) => `      ${JSON.stringify(n.target)} ${n.failureSummary ? `— ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`)
          .join('\n');
        return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${targets}`;
      })
      .join('\n');
    if (!quiet) console.log(`axe violations on ${label}:\n${report}`);
    assert.fail(`axe: ${bad.length} serious/critical violation(s) on ${label}: ${bad.map((v) => v.id).join(', ')}\n${report}`);
  }
  return results;
}

/** The texts of the elements matching a selector. */
export async function texts(page, selector) {
  return page.locator(selector).allInnerTexts();
}

/** The count in the directory's "N organisations" line. */
export async function resultsCount(page) {
  const t = await page.locator('.results-count').first().innerText();
  const m = t.replace(/[\u00a0\u202f\s]/g, '').match(/^\d+/);
  assert.ok(m, `no count in "${t}"`);
  return Number(m[0]);
}

/**
 * Through the API (fast, no browser): a new person who applied with a new organisation and
 * was admitted by the coordinator, so the person is that organisation's admin.
 * Returns { email, password, name, personId, orgId, orgName, token }.
 */
export async function admittedOrgAdmin(label = 'fixture') {
  const id = unique();
  const email = `${label}-${id}@example.org`;
  const password = 'a fixture pass phrase';
  const name = `Admin ${label} ${id}`;
  const orgName = `Cooperativa ${label} ${id}`;
  const created = await api('POST', '/api/v1/people', { body: { email, name, password, locale: 'en' } });
  assert.equal(created.status, 201, `POST /api/v1/people: ${created.status} ${created.text}`);
  const token = await apiToken(email, password);
  const applied = await api('POST', '/api/v1/applications', {
    token,
    body: {
      kind: 'new_organization',
      message: 'Made by the browser tests.',
      organization: {
        name: orgName, kind: 'worker_coop', sector: 'crafts', description: 'A workshop.',
        locality: 'Aosta', lat: '45.7371', lon: '7.3151', workers_fte: '3',
      },
    },
  });
  assert.equal(applied.status, 201, `POST /api/v1/applications: ${applied.status} ${applied.text}`);
  const coordinator = await apiToken(COORDINATOR);
  const decided = await api('POST', `/api/v1/applications/${applied.json.id}/decision`, {
    token: coordinator,
    body: { decision: 'admit', reason: `Admitted for the browser tests ${id}` },
  });
  assert.equal(decided.status, 200, `decision: ${decided.status} ${decided.text}`);
  const orgId = applied.json.organization_id;
  assert.ok(orgId, 'the application names its new organisation');
  return { email, password, name, personId: created.json.id, orgId, orgName, token };
}

/** An invitation link into an organisation, made through the API by an admin or coordinator. */
export async function invitation(orgId, token) {
  const r = await api('POST', `/api/v1/organizations/${orgId}/invitations`, { token });
  assert.equal(r.status, 201, `POST invitations: ${r.status} ${r.text}`);
  return r.json;
}

/** A 360 px phone, as the phone tests use it. */
export const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** Fails when the page scrolls sideways. */
export async function assertNoHorizontalScroll(page) {
  const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(m.scroll <= m.width + 1, `${page.url()} scrolls sideways: ${m.scroll} > ${m.width}`);
}

/** Clicks `button` (a form's submit) and waits for the page it leads to. */
export async function submitAndWait(page, button) {
  await Promise.all([page.waitForEvent('load'), button.click()]);
}

/**
 * `count` demo people who administer different active organisations, looking at person-`from`
 * to person-`to` (the demo makes person-N the founder and admin of organisation N-1; test files
 * look in different ranges so they never share an organisation), each with the organisation's
 * account and an API token.
 */
export async function organisationAdmins(count, from, to) {
  const found = [];
  for (let n = from; n <= to && found.length < count; n++) {
    const email = `person-${n}@distretto.example`;
    const token = await apiToken(email);
    const me = await api('GET', '/api/v1/me', { token });
    assert.equal(me.status, 200, me.text);
    for (const org of me.json.organizations) {
      if (org.role !== 'admin' || org.status !== 'active') continue;
      if (found.some((f) => f.orgId === org.id)) continue;
      const account = me.json.accounts.find((a) => a.owner_kind === 'organization' && a.owner_id === org.id);
      if (!account) continue;
      found.push({ email, token, orgId: org.id, orgName: org.name, accountId: account.id });
      break;
    }
  }
  assert.equal(found.length, count, `the demo district has ${count} organisation admins among person-${from}…${to}`);
  return found;
}

/**
 * A demo person among person-`from`…`to` who administers an active organisation of `kind`
 * (the demo makes person-N the admin of organisation N-1; clearing and invoices look below 121).
 */
export async function adminOf(kind, from, to) {
  for (let n = from; n <= to; n++) {
    const email = `person-${n}@distretto.example`;
    const token = await apiToken(email);
    const me = await api('GET', '/api/v1/me', { token });
    if (me.status !== 200) continue;
    for (const org of me.json.organizations) {
      if (org.role !== 'admin' || org.status !== 'active') continue;
      const o = await api('GET', `/api/v1/organizations/${org.id}`);
      if (o.status === 200 && o.json.kind === kind) return { email, orgId: org.id, orgName: org.name };
    }
  }
  assert.fail(`no admin of a ${kind} among person-${from}…${to}`);
}
