import { test, expect } from './fixtures';
import { PASSWORD, expectAccessible, hydrated, signUp } from './helpers';

// The account page's open-data cards: API tokens, the calendar feed, the export and the
// import. Each is a plain form or link, so the same steps work with and without JavaScript.
for (const javascript of [true, false]) {
  test.describe(javascript ? 'with JavaScript' : 'without JavaScript', () => {
    test.use({ javaScriptEnabled: javascript });

    test('make a token, see it once, use it, revoke it; the feed and the export', async ({ page }) => {
      await signUp(page, 'Data', undefined, javascript);
      await page.goto('/tasks');
      if (javascript) await hydrated(page);
      await page.getByLabel('New task').fill('Dentist');
      await page.getByLabel('New task').press('Enter');
      await expect(page.getByText('Dentist')).toBeVisible();

      await page.goto('/account');
      if (javascript) await hydrated(page);
      const tokens = page.getByRole('region', { name: 'API tokens' });
      await tokens.getByLabel('Name').fill('backup <script>');
      await tokens.getByLabel('Scope').selectOption('read');
      await tokens.getByLabel('Your password').fill(PASSWORD);
      await tokens.getByRole('button', { name: 'Create token' }).click();
      await expect(page).toHaveURL(/\/account\??$/);
      const shown = page.getByLabel('Your new API token');
      await expect(shown).toBeVisible();
      const token = await shown.inputValue();
      expect(token).toMatch(/^dbl_[A-Za-z0-9_-]{43}$/);
      await expect(tokens.getByRole('rowheader', { name: 'backup <script>' })).toBeVisible();
      if (javascript) await expectAccessible(page, '/account with a new token');

      // The token reads, and only reads.
      const listed = await page.request.get('/api/tasks/list', { headers: { Authorization: `Bearer ${token}` } });
      expect(listed.status()).toBe(200);
      expect((await listed.json()).tasks[0].title).toBe('Dentist');
      const refused = await page.request.post('/api/tasks/create', {
        headers: { Authorization: `Bearer ${token}` },
        form: { title: 'Nope' },
      });
      expect(refused.status()).toBe(403);

      // Shown once: a reload no longer has it.
      await page.reload();
      await expect(page.getByLabel('Your new API token')).toHaveCount(0);
      await tokens.getByRole('button', { name: 'Revoke backup <script>' }).click();
      await expect(tokens.getByText('No tokens yet.')).toBeVisible();
      const after = await page.request.get('/api/tasks/list', { headers: { Authorization: `Bearer ${token}` } });
      expect(after.status()).toBe(401);

      // The calendar feed.
      const calendar = page.getByRole('region', { name: 'Calendar' });
      await calendar.getByLabel('Your password').fill(PASSWORD);
      await calendar.getByRole('button', { name: 'Turn on the calendar feed' }).click();
      const address = await calendar.getByLabel('Feed address').inputValue();
      expect(address).toMatch(/\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
      const feed = await page.request.get(new URL(address).pathname);
      expect(feed.status()).toBe(200);
      expect(feed.headers()['content-type']).toBe('text/calendar; charset=utf-8');
      await calendar.getByRole('button', { name: 'Turn off' }).click();
      await expect(calendar.getByRole('button', { name: 'Turn on the calendar feed' })).toBeVisible();
      expect((await page.request.get(new URL(address).pathname)).status()).toBe(404);

      // The export downloads.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download JSON' }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^doable-\d{4}-\d{2}-\d{2}\.json$/);
      const document = JSON.parse(await (await import('node:fs/promises')).readFile(await download.path(), 'utf8'));
      expect(document.format).toBe('doable');
      expect(document.tasks.map((t: { title: string }) => t.title)).toEqual(['Dentist']);
    });

    test('import a Todoist project: a dry run, then the import, each with its report', async ({ page }) => {
      await signUp(page, 'Importer', undefined, javascript);
      await page.goto('/account');
      if (javascript) await hydrated(page);
      const card = page.getByRole('region', { name: 'Import', exact: true });
      const file = {
        name: 'Garden.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from('TYPE,CONTENT,PRIORITY,INDENT,DATE\ntask,Mow the lawn @garden,1,1,every saturday\n' +
          'task,"<b>Edges</b>, too",4,2,\n'),
      };
      await card.getByLabel('File', { exact: true }).setInputFiles(file);
      await card.getByLabel('Only check the file').check();
      await card.getByRole('button', { name: 'Import', exact: true }).click();
      await expect(page).toHaveURL(/\/account#import$/);
      await expect(card.getByText('Dry run: the file is fine; it would import 2 tasks in 1 new list, 0 already here.'))
        .toBeVisible();
      expect((await (await page.request.get('/api/tasks/list?q=lawn')).json()).tasks).toEqual([]);

      await card.getByLabel('File', { exact: true }).setInputFiles(file);
      await card.getByRole('button', { name: 'Import', exact: true }).click();
      await expect(card.getByText('Imported 2 tasks in 1 new list, 0 already here.')).toBeVisible();
      if (javascript) await expectAccessible(page, '/account after an import');
      const found = (await (await page.request.get('/api/tasks/list?q=lawn')).json()).tasks;
      const lawn = found.find((t: { title: string }) => t.title === 'Mow the lawn');
      expect([lawn.repeat, lawn.priority, lawn.tags]).toEqual(['FREQ=WEEKLY;BYDAY=SA', 'high', ['garden']]);
      const edges = (await (await page.request.get('/api/tasks/list?q=edges')).json()).tasks[0];
      expect([edges.title, edges.description]).toEqual(['<b>Edges</b>, too', 'Sub-task of: Mow the lawn']);

      // A bad file: nothing imported, the error shown with its row.
      await card.getByLabel('File', { exact: true }).setInputFiles({ ...file, buffer: Buffer.from('TYPE,CONTENT\nchore,x\n') });
      await card.getByRole('button', { name: 'Import', exact: true }).click();
      await expect(card.getByText('Nothing was imported: the file has 1 error.')).toBeVisible();
      await expect(card.getByRole('cell', { name: '"chore" is no TYPE Todoist writes: use task, section or note.' }))
        .toBeVisible();
    });
  });
}
