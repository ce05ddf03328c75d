import { expect, expectFailedResponse, test } from './fixtures';
import { expectAccessible, freshPage, hydrated, signUp, taskList } from './helpers';

/** Today's date (YYYY-MM-DD) in a zone, as the person there reads their calendar. */
function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

test("an account starts in the browser's time zone, and today is that zone's", async ({ browser }) => {
  // The zone furthest ahead of UTC: its today is rarely the server's.
  const zone = 'Pacific/Kiritimati';
  const page = await freshPage(browser, { timezoneId: zone });
  await signUp(page, 'Kiri');
  await hydrated(page);

  const today = todayIn(zone);
  const form = page.locator('form.new-task');
  await form.getByText('More options').click();
  await form.getByLabel('Due date').fill(today);
  await form.getByLabel('Due time').fill('23:30');
  await page.getByLabel('New task').fill('Late call');
  await page.getByLabel('New task').press('Enter');
  const due = taskList(page).locator('time.due');
  await expect(due).toHaveText('Due today at 23:30');
  await expect(due).toHaveAttribute('datetime', `${today}T23:30`);

  await page.goto('/account');
  await expect(page.getByLabel('Time zone')).toHaveValue(zone);
  await expectAccessible(page, 'the account page');

  // Choosing another zone: the page comes back with it.
  await page.getByLabel('Time zone').selectOption('Europe/Berlin');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page).toHaveURL(/\/account\??$/);
  await expect(page.getByLabel('Time zone')).toHaveValue('Europe/Berlin');
});

test('without JavaScript an account starts in UTC and the due time still works', async ({ browser }) => {
  const page = await freshPage(browser, { javaScriptEnabled: false, timezoneId: 'America/Los_Angeles' });
  await signUp(page, 'Plain', undefined, false);
  const form = page.locator('form.new-task');
  await form.getByText('More options').click();
  await form.getByLabel('Due date').fill('2031-05-04');
  await form.getByLabel('Due time').fill('08:15');
  await page.getByLabel('New task').fill('Early train');
  await page.getByLabel('New task').press('Enter');
  await expect(taskList(page).locator('time.due')).toHaveText('Due 4 May 2031 at 08:15');
  await page.goto('/account');
  await expect(page.getByLabel('Time zone')).toHaveValue('UTC');
});

test('a recurring task moves to its next date when completed, and can be skipped', async ({ page }) => {
  await signUp(page, 'Rex');
  await hydrated(page);
  const form = page.locator('form.new-task');
  await form.getByText('More options').click();
  await form.getByLabel('Due date').fill('2031-01-06'); // a Monday
  await form.getByLabel('Repeat').selectOption({ label: 'Every week' });
  await page.getByLabel('New task').fill('Bins out');
  await page.getByLabel('New task').press('Enter');
  const row = taskList(page).getByRole('listitem').filter({ hasText: 'Bins out' });
  await expect(row.getByText('every week')).toBeVisible();
  await expect(row.locator('time.due')).toHaveAttribute('datetime', '2031-01-06');

  // Completing records the date and moves the task on a week.
  await page.getByRole('checkbox', { name: 'Bins out' }).click();
  await expect(taskList(page).getByRole('listitem')).toHaveCount(2);
  await page.goto('/tasks?status=active');
  await hydrated(page);
  await expect(row.locator('time.due')).toHaveAttribute('datetime', '2031-01-13');
  await row.getByRole('button', { name: 'Skip this date of Bins out' }).click();
  await expect(row.locator('time.due')).toHaveAttribute('datetime', '2031-01-20');
  await page.goto('/tasks?status=completed');
  await expect(taskList(page).getByRole('listitem')).toHaveCount(1);
  await expect(taskList(page).locator('time.due')).toHaveAttribute('datetime', '2031-01-06');
});

test('the edit form takes a rule of its own in words', async ({ page }) => {
  expectFailedResponse(page, 422, /\/api\/tasks\/update$/);
  await signUp(page, 'Wendy');
  await hydrated(page);
  await page.getByLabel('New task').fill('Gym on 2031-01-06');
  await page.getByLabel('New task').press('Enter');
  const row = taskList(page).getByRole('listitem').filter({ hasText: 'Gym' });
  await row.getByRole('button', { name: 'Edit Gym' }).click();
  const words = taskList(page).getByLabel('Or repeat, in words');
  await words.fill('every 2 weeks on mon, thu');
  await words.press('Enter');
  await expect(row.getByText('every 2 weeks on Mon, Thu')).toBeVisible();

  // Words that are no rule say so in the form, which stays open with what was typed.
  await row.getByRole('button', { name: 'Edit Gym' }).click();
  await taskList(page).getByLabel('Or repeat, in words').fill('someday maybe');
  await taskList(page).getByLabel('Or repeat, in words').press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'is not a repeat rule' })).toBeVisible();
  await expect(taskList(page).getByLabel('Or repeat, in words')).toHaveValue('someday maybe');
  await expectAccessible(page, 'the edit form with a refused rule');
  await taskList(page).getByLabel('Or repeat, in words').press('Escape');
  await expect(row.getByText('every 2 weeks on Mon, Thu')).toBeVisible();
});

test('quick add previews the line as it is typed, and quoted words stay in the title', async ({ page }) => {
  await signUp(page, 'Quinn');
  await hydrated(page);
  const field = page.getByLabel('New task');
  const preview = page.locator('#new-task-preview');
  await expect(preview).toBeHidden();
  await field.pressSequentially('Pay rent every month on the 1st #home !high');
  await expect(preview).toHaveText('Adds “Pay rent” · repeats every month on the 1st · high priority · #home');
  await expectAccessible(page, 'the task page with a quick-add preview');

  // Quoting keeps words in the title.
  await field.fill('Pay rent every month on the 1st "#home" !high');
  await expect(preview).toHaveText('Adds “Pay rent #home” · repeats every month on the 1st · high priority');
  await field.press('Enter');
  const row = taskList(page).getByRole('listitem').filter({ hasText: 'Pay rent #home' });
  await expect(row.getByText('every month on the 1st')).toBeVisible();
  await expect(row.locator('.badge.high')).toBeVisible();
  await expect(row.locator('time.due')).toHaveAttribute('datetime', /-01$/);
  await expect(field).toHaveValue('');
  await expect(preview).toBeHidden();

  // A date and a time; a plain title shows nothing; hostile text in the line is text.
  await field.fill('Call Bob tomorrow at 9pm');
  await expect(preview).toHaveText('Adds “Call Bob” · due tomorrow at 21:00');
  await field.fill('Just a title');
  await expect(preview).toBeHidden();
  await field.fill('<img src=x onerror="document.title=1"> "</p>" tomorrow');
  await expect(preview).toHaveText('Adds “<img src=x onerror="document.title=1"> </p>” · due tomorrow');
  await expect(preview.locator('img')).toHaveCount(0);
});

test('without JavaScript the server reads the same quick-add line', async ({ browser }) => {
  const page = await freshPage(browser, { javaScriptEnabled: false });
  await signUp(page, 'Plainer', undefined, false);
  await page.getByLabel('New task').fill('Standup every weekday at 9:15 #work p1');
  await page.getByLabel('New task').press('Enter');
  const row = taskList(page).getByRole('listitem').filter({ hasText: 'Standup' });
  await expect(row.getByText('every weekday')).toBeVisible();
  await expect(row.locator('time.due')).toContainText('at 09:15');
  await expect(row.locator('.badge.high')).toBeVisible();
  await expect(row.getByRole('link', { name: 'Show tasks tagged work' })).toBeVisible();
});
