// Forms when things go wrong: a wrong password, a short password, a tampered CSRF token —
// each answered in the page's language, with the user's input kept where it should be.
import test from 'node:test';
import assert from 'node:assert/strict';
import { api, launch, newPage, signIn, unique, url, visit } from './helpers.mjs';

let browser;
test.before(async () => {
  browser = await launch();
});
test.after(() => browser?.close());

/** Submits the main form and returns the response of its POST. */
async function submitMainForm(page, method = 'POST') {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && r.request().isNavigationRequest()),
    page.click('main form button[type="submit"]'),
  ]);
  await page.waitForLoadState('load');
  return response;
}

/** A person registered through the API (fast), with a known password. */
async function person(locale) {
  const id = unique();
  const p = { email: `forms-${id}@example.org`, name: `Forms ${id}`, password: 'the right pass phrase', locale };
  const r = await api('POST', '/api/v1/people', { body: p });
  assert.equal(r.status, 201, r.text);
  return p;
}

test('a wrong password shows an alert in the page language and keeps the e-mail', async () => {
  const p = await person('it');
  for (const [lang, message] of [
    ['it', "L'e-mail o la password non sono corrette."],
    ['en', 'The e-mail or password is not right.'],
  ]) {
    const { context, page } = await newPage(browser, { extraHTTPHeaders: { 'Accept-Language': lang } });
    await visit(page, '/sign-in');
    await page.fill('#email', p.email);
    await page.fill('#password', 'not the password');
    const res = await submitMainForm(page);
    assert.ok([401, 200].includes(res.status()), `status ${res.status()}`);
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    const alert = page.getByRole('alert');
    assert.equal(await alert.count(), 1, 'one alert');
    assert.equal((await alert.innerText()).trim(), message);
    assert.equal(await page.inputValue('#email'), p.email, 'the e-mail is kept');
    assert.equal(await page.inputValue('#password'), '', 'the password is not sent back');
    // Still not signed in.
    assert.equal(await page.locator('nav.site-nav a[href="/sign-in"]').count(), 1);
    await context.close();
  }

  // The right password then works, and `next` brings the person where they were going.
  const { context, page } = await newPage(browser);
  await visit(page, '/sign-in?next=/me');
  await page.fill('#email', p.email);
  await page.fill('#password', p.password);
  await Promise.all([page.waitForURL((u) => u.pathname === '/me'), page.click('main form button[type="submit"]')]);
  assert.equal(await page.locator('h1').innerText(), p.name);
  await context.close();
});

test('sign-in never redirects to another site', async () => {
  const p = await person('en');
  const { context, page } = await newPage(browser);
  await visit(page, `/sign-in?next=${encodeURIComponent('https://evil.example/phish')}`);
  await page.fill('#email', p.email);
  await page.fill('#password', p.password);
  await Promise.all([page.waitForURL((u) => u.origin === new URL(url('/')).origin && u.pathname !== '/sign-in'), page.click('main form button[type="submit"]')]);
  assert.equal(new URL(page.url()).origin, new URL(url('/')).origin);
  assert.deepEqual(context.blocked.filter((u) => u.includes('evil.example')), []);
  await context.close();
});

test('a short password is refused, the name and e-mail are kept', async () => {
  const { context, page } = await newPage(browser, { extraHTTPHeaders: { 'Accept-Language': 'fr' } });
  const id = unique();
  await visit(page, '/register');
  await page.fill('#name', `Zoé Short ${id}`);
  await page.fill('#email', `short-${id}@example.org`);
  await page.fill('#password', 'short');
  const res = await submitMainForm(page);
  assert.ok(res.status() >= 400 && res.status() < 500, `status ${res.status()}`);
  assert.equal(new URL(page.url()).pathname, '/register');
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  const alert = page.getByRole('alert');
  assert.equal(await alert.count(), 1);
  assert.equal((await alert.innerText()).trim(), 'Le mot de passe doit compter au moins 10 caractères.');
  assert.equal(await page.inputValue('#name'), `Zoé Short ${id}`);
  assert.equal(await page.inputValue('#email'), `short-${id}@example.org`);
  assert.equal(await page.inputValue('#password'), '');
  // Nobody was registered: the address is still free.
  await page.fill('#password', 'a long enough pass phrase');
  await Promise.all([page.waitForURL((u) => u.pathname === '/apply'), page.click('main form button[type="submit"]')]);
  await context.close();
});

test('a registered e-mail cannot register twice', async () => {
  const p = await person('en');
  const { context, page } = await newPage(browser);
  await visit(page, '/register');
  await page.fill('#name', 'Someone else');
  await page.fill('#email', p.email);
  await page.fill('#password', 'another long pass phrase');
  const res = await submitMainForm(page);
  assert.equal(res.status(), 409);
  assert.match(await page.getByRole('alert').innerText(), /already exists/);
  assert.equal(await page.inputValue('#email'), p.email);
  await context.close();
});

test('a tampered CSRF token gives a 403 page in the user\'s language', async () => {
  // A visitor's form (register), in Italian.
  {
    const { context, page } = await newPage(browser, { extraHTTPHeaders: { 'Accept-Language': 'it' } });
    await visit(page, '/register');
    const id = unique();
    await page.fill('#name', `Tamper ${id}`);
    await page.fill('#email', `tamper-${id}@example.org`);
    await page.fill('#password', 'a long enough pass phrase');
    await page.evaluate(() => {
      const input = document.querySelector('main form input[name="csrf"]');
      input.value = input.value.split('').reverse().join('') || 'forged';
    });
    const res = await submitMainForm(page);
    assert.equal(res.status(), 403);
    assert.equal(await page.getAttribute('html', 'lang'), 'it');
    assert.match(await page.getByRole('alert').innerText(), /Questo modulo è scaduto o non proviene da questo sito/);
    // Nobody was registered with it.
    const again = await api('POST', '/api/v1/tokens', { body: { email: `tamper-${id}@example.org`, password: 'a long enough pass phrase' } });
    assert.equal(again.status, 401);
    await context.close();
  }

  // A signed-in person's form (profile), in French after using the switcher.
  {
    const p = await person('fr');
    const { context, page } = await newPage(browser);
    await signIn(page, p.email, p.password);
    await visit(page, '/me');
    await Promise.all([page.waitForURL((u) => u.pathname === '/me'), page.locator('nav.lang a[hreflang="fr"]').click()]);
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    await page.fill('#name', 'Changed by a forged form');
    await page.evaluate(() => {
      for (const input of document.querySelectorAll('input[name="csrf"]')) input.value = 'forged';
    });
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.click('section[aria-labelledby="edit-profile"] button[type="submit"]'),
    ]);
    await page.waitForLoadState('load');
    assert.equal(res.status(), 403);
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    assert.match(await page.getByRole('alert').innerText(), /Ce formulaire a expiré ou ne vient pas de ce site/);
    // Nothing changed.
    await visit(page, '/me');
    assert.equal(await page.locator('h1').innerText(), p.name);
    await context.close();
  }

  // A form with no token at all (posted from elsewhere) is refused too.
  const forged = await fetch(url('/register'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept-Language': 'en' },
    body: 'name=x&email=forged%40example.org&password=a+long+enough+pass',
    redirect: 'manual',
  });
  assert.equal(forged.status, 403);
});
