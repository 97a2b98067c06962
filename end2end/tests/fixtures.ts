import { test as base, expect, Page, ConsoleMessage, APIRequestContext, APIResponse, Browser, BrowserContext } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A Tessera server of its own: a fresh data directory and SQLite database, on a free port. */
export type Tessera = {
  url: string;
  dataDir: string;
  /** Runs the `tessera` CLI against this server's database; `input` is written to stdin. */
  cli: (args: string[], input?: string) => Promise<string>;
};

export const tesseraBin = process.env.TESSERA_BIN ?? path.resolve(__dirname, '../../target/debug/tessera');
export const siteRoot = process.env.TESSERA_SITE_ROOT ?? path.resolve(__dirname, '../../target/site');

async function startTessera(extraEnv: Record<string, string> = {}): Promise<{ tessera: Tessera; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tessera-e2e-'));
  // Assets are served under content-hashed names, read from hash.txt beside the binary. Webhook
  // receivers in the tests listen on 127.0.0.1 over plain http://, which the server calls only when
  // private endpoints are allowed; the outbox is looked at every 100 ms so deliveries show quickly.
  const env = {
    ...process.env,
    TESSERA_DATA_DIR: dataDir,
    RUST_LOG: 'warn',
    LEPTOS_HASH_FILES: 'true',
    TESSERA_WEBHOOKS_ALLOW_PRIVATE: 'true',
    TESSERA_OUTBOX_POLL_MS: '100',
    ...extraEnv,
  };
  const child: ChildProcess = spawn(tesseraBin, ['serve', '--listen', '127.0.0.1:0', '--site-root', siteRoot], {
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
      const p = spawn(tesseraBin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (c) => (out += c.toString()));
      p.stderr!.on('data', (c) => (out += c.toString()));
      p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`tessera ${args.join(' ')}: ${out}`))));
      p.stdin!.end(input ?? '');
    });
  return {
    tessera: { url, dataDir, cli },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects console errors and page errors (and, with `warnings`, console warnings); tests assert the
 * list is empty. `allow` drops messages that are the expected answer (a refused sign-in is a 422).
 */
export function watchConsole(page: Page, options: { warnings?: boolean; allow?: RegExp[] } = {}): string[] {
  const errors: string[] = [];
  const allowed = (text: string) => (options.allow ?? []).some((re) => re.test(text));
  page.on('console', (msg: ConsoleMessage) => {
    const kind = msg.type();
    if ((kind === 'error' || (options.warnings && kind === 'warning')) && !allowed(msg.text())) {
      errors.push(`${kind} on ${page.url()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => errors.push(`uncaught on ${page.url()}: ${err.message}`));
  return errors;
}

/** Waits until the WebAssembly has hydrated the page's islands. */
export async function hydrated(page: Page) {
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
}

export const OWNER = 'owner@example.com';
export const PASSWORD = 'correct horse battery staple';
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const SECRET = /^tsr_[0-9A-Za-z]{49}$/;
export const TOKENS_URL = '/app/settings/api';
export const MEMBERS_URL = '/app/settings/members';
export const AUDIT_URL = '/app/settings/audit';
export const POLICY_URL = '/app/settings/policy';
export const WEBHOOKS_URL = '/app/settings/webhooks';

/** Anything with its own cookie jar and the server's base URL: a page, or a browser context. */
type HasRequest = { request: APIRequestContext };

/** Calls a server function the way a program does (form body, JSON answer); it must succeed. */
export async function rpc<T = unknown>(on: HasRequest, endpoint: string, form: Record<string, string> = {}): Promise<T> {
  const response = await on.request.post(`/rpc/${endpoint}`, { form, headers: { accept: 'application/json' } });
  expect(response.status(), `POST /rpc/${endpoint} answered ${await response.text()}`).toBe(200);
  return (await response.json()) as T;
}

/** Completes first-run setup over HTTP in the page's browser context, which is signed in afterwards. */
export async function setUp(page: HasRequest, email = OWNER, organization = 'Acme') {
  await rpc(page, 'auth/setup', { email, password: PASSWORD, organization });
}

export type CreatedToken = { id: string; name: string | null; secret: string; expires_at: number };

/** Creates a token over HTTP as the signed-in person of `on`. */
export function createToken(on: HasRequest, name: string, days = 30): Promise<CreatedToken> {
  return rpc<CreatedToken>(on, 'tokens/create', { name, expires_in_days: String(days) });
}

/** `GET /api/v1/whoami` with a token, the way an integration calls the API. */
export function whoami(on: HasRequest, token: { id: string; secret: string }): Promise<APIResponse> {
  return on.request.get('/api/v1/whoami', {
    headers: { 'X-ZeroPath-API-Token-Id': token.id, 'X-ZeroPath-API-Token-Secret': token.secret },
  });
}

/**
 * Invites `email` into the signed-in owner's organization and accepts the invitation with a new
 * password in a browser context of its own, which is returned signed in.
 */
export async function addMember(
  owner: HasRequest,
  browser: Browser,
  tessera: Tessera,
  email: string,
  role: 'viewer' | 'member' | 'admin' = 'member',
  password = 'member password 123',
): Promise<BrowserContext> {
  const invited = await rpc<{ link: string | null }>(owner, 'orgs/members/invite', { email, role });
  // The link is in the answer when the server sends no email (as here: no SMTP is configured).
  expect(invited.link, 'no invitation link in the answer (is email configured?)').toEqual(expect.any(String));
  const context = await browser.newContext({ baseURL: tessera.url });
  await rpc(context, 'auth/accept-invitation', { code: invited.link!.split('/').pop()!, password });
  return context;
}

/** The page holds `secret` nowhere: not in the document, the URL or the browser's storage. */
export async function expectSecretGone(page: Page, secret: string) {
  expect(await page.content(), 'the Token Secret is still in the page').not.toContain(secret);
  expect(page.url()).not.toContain(secret);
  const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(storage).not.toContain(secret);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A date as the dashboard writes it (UTC): "Dec 8, 2026". */
export function shownDate(at: number | Date): string {
  const d = new Date(at);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

/** Reads the dashboard's "Dec 1, 2026, 11:14 UTC" back into a time (ms). */
export function parseShownDateTime(text: string): number {
  const m = text.match(/([A-Z][a-z]{2}) (\d{1,2}), (\d{4}), (\d{2}):(\d{2}) UTC/);
  expect(m, `no "Mon D, YYYY, HH:MM UTC" in ${JSON.stringify(text)}`).not.toBeNull();
  return Date.UTC(Number(m![3]), MONTHS.indexOf(m![1]), Number(m![2]), Number(m![4]), Number(m![5]));
}

/** A request a webhook receiver got. */
export type Received = { method: string; path: string; headers: IncomingHttpHeaders; body: string; at: number };

/** A webhook endpoint for the tests: an HTTP server on 127.0.0.1 that records every request. */
export type Receiver = {
  /** `http://127.0.0.1:<port>/<path>` */
  url: (path?: string) => string;
  received: Received[];
  /** The status it answers with; change it to make deliveries fail or succeed. */
  status: number;
  close: () => Promise<void>;
};

/** Starts a receiver on a free port of 127.0.0.1, answering `status` (200 unless told). */
export async function startReceiver(status = 200): Promise<Receiver> {
  const received: Received[] = [];
  const receiver = { received, status } as Receiver;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, at: Date.now() });
      res.writeHead(receiver.status, { 'content-type': 'text/plain' });
      res.end(receiver.status < 300 ? 'ok' : 'receiver says no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = (p = '/hooks/tessera') => `http://127.0.0.1:${port}${p}`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** An email the SMTP sink accepted. */
export type Email = { from: string; to: string[]; subject: string; body: string };

/** A real SMTP server for the tests (aiosmtpd, the script the Rust tests use), on a free port of 127.0.0.1. */
export type SmtpSink = {
  /** `smtp://127.0.0.1:<port>`, for `TESSERA_SMTP_URL`. */
  url: string;
  /** Every message accepted so far. */
  messages: () => Email[];
  close: () => Promise<void>;
};

export async function startSmtpSink(): Promise<SmtpSink> {
  const python = process.env.TESSERA_TEST_PYTHON ?? path.resolve(__dirname, '../../.venv/bin/python');
  const script = path.resolve(__dirname, '../../server/tests/support/smtp_sink.py');
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-smtp-'));
  const out = path.join(dir, 'mail.jsonl');
  const child = spawn(python, [script, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the SMTP sink did not start:\n${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(/READY (\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the SMTP sink exited with ${code}:\n${output}`)));
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages: () =>
      existsSync(out)
        ? readFileSync(out, 'utf8')
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line) => JSON.parse(line) as Email)
        : [],
    close: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type AddedWebhook = { entry: { id: string; url: string; events: string }; secret: string };

/** Registers a webhook endpoint over HTTP (the server function the page's form posts to). */
export function addWebhook(on: HasRequest, url: string, form: Record<string, string> = { token_events: 'on' }): Promise<AddedWebhook> {
  return rpc<AddedWebhook>(on, 'webhooks/add', { url, ...form });
}

/**
 * Every test gets its own server and database: nothing leaks between tests. `tesseraEnv` adds to the
 * server's environment (`test.use({ tesseraEnv: { … } })`).
 */
export const test = base.extend<{ tessera: Tessera; tesseraEnv: Record<string, string> }>({
  tesseraEnv: [{}, { option: true }],
  tessera: async ({ tesseraEnv }, use) => {
    const { tessera, stop } = await startTessera(tesseraEnv);
    await use(tessera);
    await stop();
  },
  baseURL: async ({ tessera }, use) => use(tessera.url),
});

export { expect };
export type { Page, BrowserContext };
