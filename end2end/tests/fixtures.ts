import { test as base, expect, Page, ConsoleMessage } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A Tessera server of its own: a fresh data directory and SQLite database, on a free port. */
export type Tessera = {
  url: string;
  dataDir: string;
  /** Runs the `tessera` CLI against this server's database; `input` is written to stdin. */
  cli: (args: string[], input?: string) => Promise<string>;
};

const bin = process.env.TESSERA_BIN ?? path.resolve(__dirname, '../../target/debug/tessera');
const siteRoot = process.env.TESSERA_SITE_ROOT ?? path.resolve(__dirname, '../../target/site');

async function startTessera(): Promise<{ tessera: Tessera; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-'));
  const env = { ...process.env, TESSERA_DATA_DIR: dataDir, RUST_LOG: 'warn' };
  const child: ChildProcess = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--site-root', siteRoot], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tessera did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/Tessera is running at (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`tessera exited with ${code}:\n${output}`)));
  });
  const cli = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const p = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (c) => (out += c.toString()));
      p.stderr!.on('data', (c) => (out += c.toString()));
      p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`tessera ${args.join(' ')}: ${out}`))));
      p.stdin!.end(input ?? '');
    });
  return {
    tessera: { url, dataDir, cli },
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Collects console errors and page errors; tests assert the list is empty. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

/** Waits until the WebAssembly has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
}

export const OWNER = 'owner@example.com';
export const PASSWORD = 'correct horse battery staple';

/** Completes first-run setup over HTTP in the page's browser context, which is signed in afterwards. */
export async function setUp(page: Page, email = OWNER, organization = 'Acme') {
  const response = await page.request.post('/rpc/auth/setup', {
    form: { email, password: PASSWORD, organization },
    headers: { accept: 'application/json' },
  });
  expect(response.status()).toBe(200);
}

/** Every test gets its own server and database: nothing leaks between tests. */
export const test = base.extend<{ tessera: Tessera }>({
  tessera: async ({}, use) => {
    const { tessera, stop } = await startTessera();
    await use(tessera);
    await stop();
  },
  baseURL: async ({ tessera }, use) => use(tessera.url),
});

export { expect };
export type { Page };
