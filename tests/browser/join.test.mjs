// Joining the district end to end: a newcomer registers and applies with a new organisation,
// a coordinator admits it with a reason, the organisation appears in the directory, its new
// admin edits it, and the decision log keeps the reason.
import test from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, COORDINATOR, admittedOrgAdmin, launch, newPage, register, signIn, unique, visit } from './helpers.mjs';

test('a newcomer applies with a new organisation, is admitted, and edits it', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const id = unique();
  const person = { name: `Newcomer ${id}`, email: `newcomer-${id}@example.org` };
  const orgName = `Cooperativa Browser ${id}`;
  const reason = `Charter signed at the assembly ${id}`;

  // 1. The newcomer registers and lands on the application form.
  const { page: newcomer } = await newPage(browser);
  await register(newcomer, person);
  assert.equal(new URL(newcomer.url()).pathname, '/apply');
  assert.equal(await newcomer.getAttribute('html', 'lang'), 'en');

  // 2. Applies with a new organisation.
  await newcomer.check('input[name="kind"][value="new_organization"]');
  await newcomer.fill('#message', 'We make bread with local flour.');
  await newcomer.fill('#name', orgName);
  await newcomer.selectOption('#org_kind', 'worker_coop');
  await newcomer.selectOption('#sector', 'food_processing');
  await newcomer.fill('#description', 'A bakery run by its workers.');
  await newcomer.fill('#locality', 'Aosta');
  await newcomer.fill('#lat', '45.7370');
  await newcomer.fill('#lon', '7.3200');
  await newcomer.fill('#workers_fte', '2.5');
  await Promise.all([
    newcomer.waitForURL((u) => u.pathname === '/me'),
    newcomer.click('main form button[type="submit"]'),
  ]);

  // 3. /me shows the pending application.
  const applications = newcomer.locator('section[aria-labelledby="my-applications"] li');
  await assert.doesNotReject(applications.filter({ hasText: orgName }).first().waitFor());
  const mine = await applications.filter({ hasText: orgName }).first().innerText();
  assert.match(mine, /Waiting for a decision/, `application on /me: ${mine}`);

  // Not public yet.
  {
    const { context, page } = await newPage(browser);
    await visit(page, `/directory?q=${encodeURIComponent(orgName)}`);
    assert.equal(await page.locator('ul.results h2 a', { hasText: orgName }).count(), 0,
      'a pending organisation must not be listed');
    await context.close();
  }

  // 4. A coordinator admits it with a reason.
  const { page: coordinator } = await newPage(browser);
  await signIn(coordinator, COORDINATOR);
  await visit(coordinator, '/coordination/applications');
  const card = coordinator.locator('li.card').filter({ hasText: person.email });
  assert.equal(await card.count(), 1, 'the application is listed once for the coordinator');
  assert.match(await card.innerText(), new RegExp(orgName));
  await card.getByLabel('Admit', { exact: true }).check();
  await card.getByLabel(/Reason/).fill(reason);
  await Promise.all([
    coordinator.waitForURL((u) => u.pathname === '/coordination/applications' && u.searchParams.has('done')),
    card.getByRole('button', { name: 'Record the decision' }).click(),
  ]);
  assert.match(await coordinator.locator('.notice[role="status"]').innerText(), /recorded/);
  assert.equal(await coordinator.locator('li.card').filter({ hasText: person.email }).count(), 0,
    'a decided application leaves the pending list');

  // 5. The organisation is public in the directory.
  let orgUrl;
  {
    const { context, page } = await newPage(browser);
    await visit(page, `/directory?q=${encodeURIComponent(orgName)}`);
    const link = page.locator('ul.results h2 a', { hasText: orgName });
    assert.equal(await link.count(), 1, 'the admitted organisation is in the directory');
    orgUrl = await link.getAttribute('href');
    assert.match(orgUrl, /^\/organizations\/[0-9a-f-]{36}$/);
    await context.close();
  }

  // 6. The newcomer edits the organisation from /me.
  await visit(newcomer, '/me');
  const myOrg = newcomer.locator('section[aria-labelledby="my-orgs"] li').filter({ hasText: orgName });
  assert.match(await myOrg.innerText(), /Admin/);
  await Promise.all([
    newcomer.waitForURL((u) => u.pathname === `${orgUrl}/edit`),
    myOrg.getByRole('link', { name: 'Edit the profile' }).click(),
  ]);
  assert.equal(await newcomer.inputValue('#name'), orgName);
  const description = `Sourdough, rye and spelt from the valley (${id}).`;
  await newcomer.fill('#description', description);
  await Promise.all([
    newcomer.waitForURL((u) => u.pathname === orgUrl),
    newcomer.click('main form button[type="submit"]'),
  ]);
  assert.match(await newcomer.locator('.notice[role="status"]').first().innerText(), /Saved/);
  assert.equal((await newcomer.locator('p.description').innerText()).trim(), description);
  assert.equal(await newcomer.locator('h1').innerText(), orgName);

  // Anyone sees the new description.
  {
    const { context, page } = await newPage(browser);
    await visit(page, orgUrl);
    assert.equal((await page.locator('p.description').innerText()).trim(), description);
    await context.close();
  }

  // 7. The decision log shows who was admitted and why.
  await visit(coordinator, '/coordination/decisions');
  const row = coordinator.locator('tbody tr').filter({ hasText: reason });
  assert.equal(await row.count(), 1, 'the decision log holds the reason');
  const rowText = await row.innerText();
  assert.match(rowText, new RegExp(orgName));
  assert.match(rowText, /Admit/i);
});

test('a colleague joins an organisation through an invitation link (in Italian)', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const admin = await admittedOrgAdmin('invite');

  // The admin makes the link on the organisation's page.
  const { page: adminPage } = await newPage(browser);
  await signIn(adminPage, admin.email, admin.password);
  await visit(adminPage, `/organizations/${admin.orgId}`);
  await adminPage.getByRole('button', { name: 'Create an invitation link' }).click();
  await adminPage.waitForSelector('#invitation-link');
  const link = await adminPage.inputValue('#invitation-link');
  assert.match(link, /\/invitations\/[0-9a-f]{64}$/);
  assert.equal(await adminPage.getByLabel(/Share this link/).inputValue(), link, 'the link field is labelled');

  // A colleague without an account opens it, registers from there and comes back to it.
  const { page } = await newPage(browser, { extraHTTPHeaders: { 'Accept-Language': 'it' } });
  await visit(page, new URL(link).pathname);
  assert.match(await page.locator('main').innerText(), new RegExp(admin.orgName));
  const id = unique();
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/register'),
    page.locator('main').getByRole('link', { name: 'Aderisci' }).click(),
  ]);
  await page.fill('#name', `Collega ${id}`);
  await page.fill('#email', `collega-${id}@example.org`);
  await page.fill('#password', 'una frase abbastanza lunga');
  await Promise.all([
    page.waitForURL((u) => u.pathname === new URL(link).pathname),
    page.click('main form button[type="submit"]'),
  ]);
  assert.equal(await page.getAttribute('html', 'lang'), 'it');
  await Promise.all([
    page.waitForURL((u) => u.pathname === `/organizations/${admin.orgId}`),
    page.getByRole('button', { name: 'Accetta ed entra' }).click(),
  ]);
  const members = await page.locator('section[aria-labelledby="members"] li').allInnerTexts();
  assert.ok(members.some((m) => m.includes(`Collega ${id}`)), `the colleague is a member: ${members}`);

  // The link works once.
  const { page: other } = await newPage(browser);
  await signIn(other, 'person-2@distretto.example');
  // person-2 prefers French in the demo; choose English with the switcher for this check.
  await other.goto(`${BASE_URL}/lang/en?next=/`);
  await visit(other, new URL(link).pathname, 410);
  assert.equal(await other.getByRole('alert').count(), 1, 'a used link is refused with an alert');
  assert.match(await other.getByRole('alert').innerText(), /expired or has already been used/);
});
