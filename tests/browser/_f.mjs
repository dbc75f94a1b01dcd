import { launch, newPage, visit, signIn, COORDINATOR, organizations } from './helpers.mjs';
const browser = await launch();
const org = (await organizations()).items.find(o=>o.lat!=null);
for (const mode of ['light','dark']) {
const { page } = await newPage(browser, { colorScheme: mode });
await signIn(page, COORDINATOR);
for (const p of ['/', `/organizations/${org.id}`, '/map', '/directory?q=repair', '/apply', '/me']) {
  await visit(page, p);
  if (await page.locator('[data-map]').count()) await page.waitForSelector('[data-map][data-map-state="ready"]');
  const bad = []; let n = 0;
  for (let i = 0; i < 300; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const el = document.activeElement; if (!el || el === document.body) return null;
      window.__seen = window.__seen || new WeakSet();
      if (window.__seen.has(el)) return { again: true };
      window.__seen.add(el);
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return { html: el.outerHTML.slice(0, 90), ind: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none', style: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor} / ${s.boxShadow}`, vis: r.width > 2 && r.height > 2 };
    });
    if (!f || f.again) break;
    n++;
    if (!f.ind || !f.vis) bad.push(f);
  }
  console.log(mode, p, 'stops', n, 'bad', JSON.stringify(bad, null, 1));
}
}
await browser.close();
