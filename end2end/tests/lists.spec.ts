import { type Page, expect, expectFailedResponse, test } from './fixtures';
import { expectAccessible, freshPage, hydrated, signUp, taskList } from './helpers';

/** Makes a list with the sidebar's form and opens it; returns its id. */
async function makeList(page: Page, name: string): Promise<string> {
  const form = page.locator('form.new-list');
  await form.getByLabel('New list').fill(name);
  await form.getByRole('button', { name: 'Add' }).click();
  const lists = page.getByRole('navigation', { name: 'Lists' });
  await lists.getByRole('link', { name: new RegExp(`^${name}`) }).click();
  await expect(page).toHaveURL(/\/tasks\?list=/);
  return new URL(page.url()).searchParams.get('list') ?? '';
}

/** Invites `email` to the list as `role`, through the API with the page's session (the share
 * dialog is not built yet). */
async function invite(page: Page, list: string, email: string, role: 'editor' | 'viewer') {
  const response = await page.request.post('/api/lists/invite', { form: { id: list, email, role } });
  expect(response.status(), await response.text()).toBe(200);
}

/** Accepts the invitation shown on the task page and opens the list. */
async function acceptAndOpen(page: Page, listName: string) {
  const invitations = page.getByRole('region', { name: 'Invitations' });
  await expect(invitations).toContainText(`invited you to ${listName}`);
  await invitations.getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByRole('region', { name: 'Invitations' })).toHaveCount(0);
  const link = page.getByRole('navigation', { name: 'Lists' }).getByRole('link', { name: new RegExp(`^${listName}`) });
  await expect(link).toContainText('shared');
  await link.click();
  await expect(page).toHaveURL(/\/tasks\?list=/);
}

function item(page: Page, title: string) {
  return taskList(page).getByRole('listitem').filter({ has: page.getByRole('checkbox', { name: title, exact: true }) });
}

for (const javascript of [true, false]) {
  test.describe(javascript ? 'with the WASM' : 'without JavaScript', () => {
    test.use({ javaScriptEnabled: javascript });

    test('two people share a list: the viewer only reads, the editor changes it', async ({ page, browser }) => {
      const owner = page;
      await signUp(owner, 'Olive', undefined, javascript);
      const list = await makeList(owner, 'Groceries');
      const newTask = owner.getByLabel('New task');
      await newTask.fill('Milk');
      await newTask.press('Enter');
      await expect(item(owner, 'Milk')).toBeVisible();
      await expect(owner).toHaveURL(new RegExp(`list=${list}`));

      const viewer = await freshPage(browser, { javaScriptEnabled: javascript });
      const viewerEmail = await signUp(viewer, 'Vic', undefined, javascript);
      const editor = await freshPage(browser, { javaScriptEnabled: javascript });
      const editorEmail = await signUp(editor, 'Eda', undefined, javascript);
      await invite(owner, list, viewerEmail, 'viewer');
      await invite(owner, list, editorEmail, 'editor');

      // The viewer sees the list and its task, and is refused a change.
      await viewer.reload();
      await acceptAndOpen(viewer, 'Groceries');
      await expect(item(viewer, 'Milk')).toBeVisible();
      await expect(viewer.getByRole('navigation', { name: 'Lists' })).toContainText('shared, viewer');
      if (javascript) {
        await hydrated(viewer);
        expectFailedResponse(viewer, 403, /\/api\/tasks\/set-completed$/);
        await viewer.getByRole('checkbox', { name: 'Milk' }).click();
        await expect(viewer.getByRole('alert').filter({ hasText: 'role' })).toBeVisible();
        await expect(viewer.getByRole('checkbox', { name: 'Milk' })).not.toBeChecked();
      } else {
        await item(viewer, 'Milk').getByRole('checkbox', { name: 'Milk' }).click();
        await expect(viewer.getByRole('alert').filter({ hasText: 'role' })).toBeVisible();
      }
      // (axe runs as a script in the page: only where the page runs scripts.)
      if (javascript) await expectAccessible(viewer, 'a shared list as its viewer');

      // The editor renames the task; the owner sees it after a reload.
      await editor.reload();
      await acceptAndOpen(editor, 'Groceries');
      if (javascript) {
        await hydrated(editor);
        await editor.getByRole('button', { name: 'Edit Milk' }).click();
        const title = editor.getByRole('textbox', { name: 'Title' });
        await title.fill('Oat milk');
        await title.press('Enter');
      } else {
        await editor.getByRole('button', { name: 'Edit Milk' }).click();
        await editor.getByRole('textbox', { name: 'Title' }).fill('Oat milk');
        await editor.getByRole('button', { name: 'Save' }).click();
        await editor.getByRole('button', { name: 'Cancel' }).click();
      }
      await expect(item(editor, 'Oat milk')).toBeVisible();
      await owner.reload();
      await expect(item(owner, 'Oat milk')).toBeVisible();
      await expect(owner.getByRole('navigation', { name: 'Lists' }).getByRole('link', { name: /^Groceries/ })).toContainText(
        'shared',
      );
      if (javascript) await expectAccessible(owner, 'the task page with its lists');
    });
  });
}
