// Governance on a 360 px phone, on the demo district: an organisation's admin votes for their
// organisation in the open vote of the District assembly, writes a proposal (a refused one
// first, which creates nothing), opens its deliberation, comments and opens the vote; a second
// organisation's admin votes on it; then anyone reads the published ballots of the demo's secret
// election (receipts, no names). axe on every page; no page scrolls sideways.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  PHONE, api, apiToken, assertNoHorizontalScroll, axeCheck, launch, newPage, signIn,
  submitAndWait as submit, unique, visit,
} from './helpers.mjs';

let browser;
test.before(async () => {
  browser = await launch();
});
test.after(() => browser?.close());

const OPEN_VOTE = 'Allocate 5,000 credits from the fund to the seed library';

/**
 * The demo people among person-`from`…`to` who administer an active organisation (person-N
 * founded organisation N-1): { email, orgId, orgName }.
 */
async function admins(from, to) {
  const found = [];
  for (let n = from; n <= to; n++) {
    const email = `person-${n}@distretto.example`;
    const me = await api('GET', '/api/v1/me', { token: await apiToken(email) });
    const org = me.json?.organizations?.find((o) => o.role === 'admin' && o.status === 'active');
    if (org && !found.some((f) => f.orgId === org.id)) found.push({ email, orgId: org.id, orgName: org.name });
  }
  return found;
}

async function check(page, label) {
  await axeCheck(page, label);
  await assertNoHorizontalScroll(page);
}

/** The path of the proposal linked from /governance whose title matches `title`. */
async function proposalPath(page, title) {
  await visit(page, '/lang/en?next=/governance');
  const link = page.getByRole('link', { name: title }).first();
  assert.ok(await link.count(), `no link to ${title} on /governance`);
  return link.getAttribute('href');
}

test('governance: an organisation votes, a proposal goes to the vote, ballots are published, on a phone', async () => {
  // Person-31…39 (the other tests use 1…30 and 40…161; the demo has 160 organisations): the
  // first admin whose organisation has not voted yet in the demo's open vote (the demo cast a
  // share of its ballots already), and a second one to vote on the new proposal.
  const candidates = await admins(31, 39);
  assert.ok(candidates.length >= 2, `two organisation admins among person-31…39: ${candidates.length}`);
  const tag = unique().slice(-6);
  let a = null;
  let voter = null;
  let openPath = null;
  for (const candidate of candidates) {
    const s = await newPage(browser, PHONE);
    await signIn(s.page, candidate.email);
    openPath ??= await proposalPath(s.page, OPEN_VOTE);
    await visit(s.page, openPath);
    const fieldset = s.page.locator('fieldset', { has: s.page.locator('legend', { hasText: candidate.orgName }) });
    if ((await fieldset.count()) === 1 && !/has voted/.test(await fieldset.locator('legend').innerText())) {
      a = s;
      voter = candidate;
      break;
    }
    await s.context.close();
  }
  assert.ok(a, 'one of the admins among person-31…39 has not voted yet');
  const others = candidates.filter((x) => x !== voter);

  // The overview lists the open vote; the admin opens it and votes Yes for the organisation.
  await visit(a.page, '/governance');
  const voting = a.page.getByRole('region', { name: 'Votes open now' });
  assert.match(await voting.innerText(), /Allocate 5,000 credits/);
  await check(a.page, 'governance overview');
  await submit(a.page, voting.getByRole('link', { name: OPEN_VOTE }));
  assert.equal(new URL(a.page.url()).pathname, openPath);
  await check(a.page, 'open vote');
  const form = a.page.locator('form.vote', { has: a.page.locator('legend', { hasText: voter.orgName }) });
  await form.getByRole('radio', { name: 'Yes' }).check();
  await submit(a.page, form.getByRole('button', { name: 'Vote' }));
  assert.match(await a.page.getByRole('status').first().innerText(), /Your vote is counted\./);
  const legend = a.page.locator('legend', { hasText: voter.orgName });
  assert.match(await legend.innerText(), /has voted/);
  await check(a.page, 'open vote (voted)');

  // A new proposal in the District assembly: first one that cannot be (approval, no options).
  await visit(a.page, '/governance');
  await submit(a.page, a.page.getByRole('link', { name: 'District assembly', exact: true }));
  await check(a.page, 'District assembly');
  await submit(a.page, a.page.getByRole('link', { name: 'Write a proposal' }));
  await check(a.page, 'proposal form');
  const title = `Repair café every month ${tag}`;
  await a.page.fill('#title', title);
  await a.page.fill('#text', 'A repair café in the district hall on the first Saturday of each month.');
  await a.page.selectOption('#method', 'approval');
  await a.page.fill('#options', '');
  await submit(a.page, a.page.getByRole('button', { name: 'Save the proposal' }));
  assert.match(await a.page.locator('main').innerText(), /This method needs options, one per line\./);
  assert.equal(await a.page.locator('#title').inputValue(), title, 'what was typed is kept');
  await check(a.page, 'proposal form (refused)');

  // Then a majority vote: it is saved as a draft, the only proposal with this title.
  await a.page.selectOption('#method', 'majority');
  await submit(a.page, a.page.getByRole('button', { name: 'Save the proposal' }));
  assert.match(await a.page.getByRole('status').first().innerText(), /Created\./);
  assert.match(await a.page.locator('#status').innerText(), /Draft/);
  const proposal = new URL(a.page.url()).pathname;
  await check(a.page, 'new proposal (draft)');
  await visit(a.page, '/governance');
  assert.equal(await a.page.getByRole('link', { name: title }).count(), 1, 'the refused form created nothing');
  await visit(a.page, proposal);

  // Deliberation: open it, post a comment; then open the vote.
  await submit(a.page, a.page.getByRole('button', { name: 'Open the deliberation' }));
  assert.match(await a.page.getByRole('status').first().innerText(), /The deliberation is open\./);
  await a.page.fill('#comment', `Who brings the tools? ${tag}`);
  await submit(a.page, a.page.getByRole('button', { name: 'Post', exact: true }));
  assert.match(await a.page.getByRole('status').first().innerText(), /Your comment is posted\./);
  assert.match(await a.page.locator('#comments-section .comments').innerText(), new RegExp(`Who brings the tools\\? ${tag}`));
  await check(a.page, 'proposal in deliberation');
  await submit(a.page, a.page.getByRole('button', { name: 'Open the vote' }));
  assert.match(await a.page.getByRole('status').first().innerText(), /The vote is open\./);
  assert.match(await a.page.locator('#status').innerText(), /Voting/);
  await check(a.page, 'proposal (voting)');

  // A second organisation's admin votes No on it.
  const second = others[0];
  const b = await newPage(browser, PHONE);
  await signIn(b.page, second.email);
  await visit(b.page, `/lang/en?next=${proposal}`);
  await check(b.page, 'second voter: the proposal');
  const bForm = b.page.locator('form.vote', { has: b.page.locator('legend', { hasText: second.orgName }) });
  await bForm.getByRole('radio', { name: 'No' }).check();
  await submit(b.page, bForm.getByRole('button', { name: 'Vote' }));
  assert.match(await b.page.getByRole('status').first().innerText(), /Your vote is counted\./);
  assert.match(await b.page.locator('legend', { hasText: second.orgName }).innerText(), /has voted/);
  assert.equal(await b.page.locator('#cast').innerText(), '1', 'the one ballot cast on the new proposal');
  await check(b.page, 'second voter: voted');

  // The demo's secret election, closed: its published ballots carry receipts, never names.
  const election = await proposalPath(b.page, /Elect two members/);
  await visit(b.page, election);
  assert.match(await b.page.locator('#status').innerText(), /Closed/);
  await check(b.page, 'closed secret election');
  await submit(b.page, b.page.getByRole('link', { name: 'Published ballots' }));
  assert.equal(new URL(b.page.url()).pathname, `${election}/ballots`);
  const table = b.page.getByRole('table', { name: 'Published ballots' });
  assert.equal(await table.locator('thead th').first().innerText(), 'Receipt');
  const receipts = await table.locator('tbody tr td:first-child').allInnerTexts();
  assert.ok(receipts.length > 0, 'ballots are published');
  for (const r of receipts) assert.match(r, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/, r);
  assert.doesNotMatch(await b.page.locator('main').innerText(), /person-\d+|@distretto\.example/);
  await check(b.page, 'published ballots (secret)');
  await Promise.all([a.context.close(), b.context.close()]);
});
