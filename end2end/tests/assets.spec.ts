import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect, hydrated, setUp, createToken, tesseraBin, siteRoot, TOKENS_URL, MEMBERS_URL, AUDIT_URL, POLICY_URL, WEBHOOKS_URL } from './fixtures';
import type { Response } from '@playwright/test';

/** hash.txt beside the binary: `js: <hash>` lines, what the server names the assets after. */
function builtHashes(): Record<'js' | 'wasm' | 'css', string> {
  const text = readFileSync(path.join(path.dirname(tesseraBin), 'hash.txt'), 'utf8');
  const hashes = Object.fromEntries(text.trim().split('\n').map((line) => line.split(':').map((s) => s.trim())));
  expect(Object.keys(hashes).sort()).toEqual(['css', 'js', 'wasm']);
  return hashes;
}

const YEAR = /(^|,\s*)max-age=31536000(\s*,|$)/;

test.describe('assets and caching', () => {
  test('the page loads its WASM, JS and CSS compressed, under content-hashed names, cached for a year', async ({ page }) => {
    const hashes = builtHashes();
    const assets = new Map<string, { status: number; headers: Record<string, string> }>();
    page.on('response', async (response) => {
      const url = new URL(response.url());
      if (url.pathname.startsWith('/pkg/')) {
        assets.set(url.pathname, { status: response.status(), headers: await response.allHeaders() });
      }
    });
    await setUp(page);
    await page.goto(TOKENS_URL);
    await hydrated(page);
    // The page names exactly the hashed files.
    const html = await page.content();
    for (const ext of ['js', 'wasm', 'css'] as const) expect(html).toContain(`/pkg/tessera.${hashes[ext]}.${ext}`);

    await expect.poll(() => [...assets.keys()].sort()).toEqual(
      ['css', 'js', 'wasm'].map((ext) => `/pkg/tessera.${hashes[ext as 'js']}.${ext}`).sort(),
    );
    for (const [pathname, { status, headers }] of assets) {
      expect(pathname).toMatch(/^\/pkg\/tessera\.[0-9a-f]{20}\.(js|wasm|css)$/);
      expect(status, pathname).toBe(200);
      expect(headers['content-encoding'], `${pathname} is sent compressed`).toMatch(/^(br|gzip)$/);
      expect(headers['cache-control'], pathname).toContain('immutable');
      expect(headers['cache-control'], pathname).toMatch(YEAR);
      expect(headers['cache-control'], pathname).toContain('public');
    }
    expect(assets.get(`/pkg/tessera.${hashes.wasm}.wasm`)!.headers['content-type']).toBe('application/wasm');
    expect(assets.get(`/pkg/tessera.${hashes.js}.js`)!.headers['content-type']).toMatch(/^text\/javascript/);
    expect(assets.get(`/pkg/tessera.${hashes.css}.css`)!.headers['content-type']).toMatch(/^text\/css/);
  });

  test('each asset is served br or gzip as asked, and decompresses to the built file', async ({ page }) => {
    const hashes = builtHashes();
    for (const ext of ['js', 'wasm', 'css'] as const) {
      const name = `tessera.${hashes[ext]}.${ext}`;
      const built = readFileSync(path.join(siteRoot, 'pkg', name));
      for (const encoding of ['br', 'gzip', 'identity']) {
        const response = await page.request.get(`/pkg/${name}`, { headers: { 'accept-encoding': encoding } });
        expect(response.status(), `${name} (${encoding})`).toBe(200);
        const headers = response.headers();
        expect(headers['content-encoding'], `${name} asked for ${encoding}`).toBe(encoding === 'identity' ? undefined : encoding);
        if (encoding !== 'identity') {
          expect(Number(headers['content-length']), `${name}: ${encoding} is smaller`).toBeLessThan(built.length);
        }
        expect(headers['cache-control']).toContain('immutable');
        expect(headers['cache-control']).toMatch(YEAR);
        // Playwright decodes the body: it must be the built file, byte for byte.
        expect((await response.body()).equals(built), `${name} (${encoding}) decodes to the built file`).toBe(true);
      }
    }
    // Only the hashed names exist: an old unhashed name is not served (with a year of caching) by mistake.
    const unhashed = await page.request.get('/pkg/tessera.css');
    expect(unhashed.status()).toBe(404);
    expect(unhashed.headers()['cache-control']).not.toContain('immutable');
  });

  test('compressed assets say Vary: Accept-Encoding, so shared caches keep the encodings apart', async ({ page }) => {
    const hashes = builtHashes();
    // Public, cached for a year, and compressed by negotiation: without Vary a CDN or proxy may hand the
    // br body to a client that asked for gzip or nothing (RFC 9110, 12.5.5). The gate (server/src/http/
    // gate.rs, finish) should add `Vary: Accept-Encoding` to Class::Asset answers.
    for (const ext of ['js', 'wasm', 'css'] as const) {
      const response = await page.request.get(`/pkg/tessera.${hashes[ext]}.${ext}`, { headers: { 'accept-encoding': 'br' } });
      expect(response.headers()['content-encoding']).toBe('br');
      expect.soft(response.headers()['vary'] ?? '', `${ext}: no Vary: Accept-Encoding`).toMatch(/accept-encoding/i);
    }
  });

  test("a signed-in person's pages and answers are never stored: Cache-Control no-store", async ({ page }) => {
    await setUp(page);
    await createToken(page, 'CI/CD Pipeline');
    for (const url of ['/', TOKENS_URL, `${TOKENS_URL}?new=1`, MEMBERS_URL, AUDIT_URL, POLICY_URL, WEBHOOKS_URL]) {
      const response = await page.goto(url);
      expect(response?.status(), url).toBe(200);
      expect(response?.headers()['content-type'], url).toMatch(/^text\/html/);
      expect(response?.headers()['cache-control'], url).toBe('no-store');
    }
    // Above all the answer that shows a secret: the create form's call to its server function.
    await page.goto(`${TOKENS_URL}?new=1`);
    await hydrated(page);
    const [created] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/rpc/tokens/create'),
      page.getByRole('button', { name: 'Create', exact: true }).click(),
    ]);
    expect(created.status()).toBe(200);
    expect(await created.text()).toMatch(/tsr_[0-9A-Za-z]{49}/);
    expect(created.headers()['cache-control']).toBe('no-store');
    // And the server functions' JSON, which carries the same secrets.
    const answer = await page.request.post('/rpc/tokens/create', {
      form: { name: 'JSON', expires_in_days: '7' },
      headers: { accept: 'application/json' },
    });
    expect(answer.headers()['cache-control']).toBe('no-store');
    // And the page the webhook form's post is redirected to (303), which shows the endpoint's signing
    // secret.
    const afterPost = (path: string) => (r: Response) =>
      r.request().method() === 'GET' &&
      new URL(r.url()).pathname === path &&
      r.request().redirectedFrom()?.method() === 'POST';
    await page.goto(WEBHOOKS_URL);
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hooks');
    const [addedWebhook] = await Promise.all([
      page.waitForResponse(afterPost(WEBHOOKS_URL)),
      page.getByRole('button', { name: 'Add endpoint' }).click(),
    ]);
    expect(await addedWebhook.text()).toMatch(/whsec_[A-Za-z0-9+/]{43}=/);
    expect(addedWebhook.headers()['cache-control']).toBe('no-store');
    const webhookPost = await addedWebhook.request().redirectedFrom()!.response();
    expect(webhookPost?.status()).toBe(303);
    expect(webhookPost?.headers()['cache-control']).toBe('no-store');
    // Pages are compressed too, when asked.
    const compressed = await page.request.get(TOKENS_URL, { headers: { 'accept-encoding': 'br' } });
    expect(compressed.headers()['content-encoding']).toBe('br');
    expect(compressed.headers()['cache-control']).toBe('no-store');

  });
});
