import { expect, expectFailedResponse, test } from './fixtures';
import { hydrated } from './helpers';

test('the page hydrates: showing the password needs the WASM', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  const password = page.getByLabel('Password', { exact: true });
  await expect(password).toHaveAttribute('type', 'password');
  await page.getByRole('button', { name: 'Show password' }).click();
  await expect(password).toHaveAttribute('type', 'text');
  await expect(page.getByRole('button', { name: 'Hide password' })).toHaveAttribute('aria-pressed', 'true');
});

test('visitors at / are sent to the login page', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
});

test('an unknown page answers 404 with a way back', async ({ page }) => {
  expectFailedResponse(page, 404, /\/no\/such\/page$/);
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Go to your tasks' })).toBeVisible();
});

test('the WASM and CSS are served with long cache lifetimes', async ({ page, request }) => {
  await page.goto('/login');
  const assets = await page.evaluate(() =>
    [...document.querySelectorAll('link[href^="/pkg/"]')].map((l) => l.getAttribute('href') as string),
  );
  expect(assets.some((a) => a.endsWith('.wasm'))).toBe(true);
  expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
  for (const asset of assets) {
    const response = await request.get(asset, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(response.status(), asset).toBe(200);
    expect(response.headers()['cache-control'], asset).toContain('immutable');
  }
});

test('health and readiness answer', async ({ request }) => {
  expect((await request.get('/healthz')).status()).toBe(200);
  expect((await request.get('/readyz')).status()).toBe(200);
});

test('the API documentation renders under its Content-Security-Policy', async ({ page }) => {
  const response = await page.goto('/docs/');
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  // Swagger UI builds the page from the OpenAPI document: a script or style the policy
  // refused would leave it empty, and the refusal is a console error (the fixture fails on it).
  await expect(page.getByRole('heading', { name: /Doable API/ })).toBeVisible();
  await expect(page.getByText('/api/auth/signup', { exact: true })).toBeVisible();
});
