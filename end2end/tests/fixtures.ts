import { test as base, expect, type BrowserContext, type ConsoleMessage, type Page } from '@playwright/test';

// Every browser test fails when a page it drove raised an error: an uncaught exception or
// rejection (`pageerror`: a WASM panic ends as `RuntimeError: unreachable`) or a message the
// console logged as an error (`console.error`, a failed resource load, a CSP refusal).
//
// The specs import `test` and `expect` from here. The `page` fixture is watched, so is every
// page opened in its context (popups, `context.newPage()`), and so is every page made with
// `freshPage` (helpers.ts), which calls `watchPage`. When the test body is over, the errors
// seen are listed in the failure, each with the page it happened on and its location.
//
// A test that provokes an error on purpose (an answer with a 4xx status, which Chromium logs as
// "Failed to load resource: ...") declares it with `expectConsoleErrors` or
// `expectFailedResponse`, as narrowly as it can. Only console messages can be declared:
// uncaught exceptions always fail the test.

/** One error a page raised. */
interface RaisedError {
  kind: 'pageerror' | 'console.error';
  text: string;
  /** Where it was raised: `url:line:column` of a console message, stack frames of an exception. */
  location: string;
  /** The URL of the resource or script a console message names, for `expectConsoleErrors`' `url`. */
  sourceUrl: string;
  /** The page's address when it happened. */
  pageUrl: string;
}

/** A console error a test expects. */
interface Expected {
  text: RegExp;
  url?: RegExp;
}

interface Watched {
  errors: RaisedError[];
  expected: Expected[];
}

function matches(pattern: RegExp, value: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(value);
}

function consoleError(page: Page, message: ConsoleMessage): RaisedError {
  const { url, lineNumber, columnNumber } = message.location();
  return {
    kind: 'console.error',
    text: message.text(),
    location: url ? `${url}:${lineNumber}:${columnNumber}` : '',
    sourceUrl: url ?? '',
    pageUrl: page.url(),
  };
}

function uncaught(page: Page, error: Error): RaisedError {
  const frames = (error.stack ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at '))
    .slice(0, 8);
  return {
    kind: 'pageerror',
    text: `${error.name}: ${error.message}`,
    location: frames.join('\n'),
    sourceUrl: '',
    pageUrl: page.url(),
  };
}

/** The pages of one test and the errors they raised. */
class PageErrors {
  private readonly pages = new Map<Page, Watched>();
  private readonly contexts = new Set<BrowserContext>();
  private readonly own = new Set<BrowserContext>();

  /** Records the errors of `page` (and of the pages opened later in its context). */
  watch(page: Page): void {
    if (this.pages.has(page)) return;
    const watched: Watched = { errors: [], expected: [] };
    this.pages.set(page, watched);
    page.on('pageerror', (error) => watched.errors.push(uncaught(page, error)));
    page.on('console', (message) => {
      // Leptos only warns when an island of the page cannot be brought to life: that is a
      // page that does not work, so it counts as an error too.
      const island = message.type() === 'warning' && /island|hydrat/i.test(message.text());
      if (message.type() === 'error' || island) watched.errors.push(consoleError(page, message));
    });
    const context = page.context();
    if (!this.contexts.has(context)) {
      this.contexts.add(context);
      context.on('page', (opened) => this.watch(opened));
    }
  }

  /** A context a helper made for this test: closed when the test ends. */
  adopt(context: BrowserContext): void {
    this.own.add(context);
  }

  expect(page: Page, expected: Expected): void {
    const watched = this.pages.get(page);
    if (!watched) {
      throw new Error('expectConsoleErrors: this page is not watched; use the `page` fixture or freshPage()');
    }
    watched.expected.push(expected);
  }

  /** The errors that no `expectConsoleErrors` of their page declared. */
  unexpected(): RaisedError[] {
    const found: RaisedError[] = [];
    for (const { errors, expected } of this.pages.values()) {
      for (const error of errors) {
        const declared =
          error.kind === 'console.error' &&
          expected.some(
            // A message without a source URL is judged by its text alone.
            (e) => matches(e.text, error.text) && (!e.url || !error.sourceUrl || matches(e.url, error.sourceUrl)),
          );
        if (!declared) found.push(error);
      }
    }
    return found;
  }

  async closeOwnContexts(): Promise<void> {
    await Promise.all([...this.own].map((context) => context.close().catch(() => {})));
  }
}

function report(errors: RaisedError[]): string {
  const lines = errors.map((error, i) => {
    const where = error.location ? `\n${error.location.replace(/^/gm, '       ')}` : '';
    return `  ${i + 1}. ${error.kind} on ${error.pageUrl || '(no page yet)'}: ${error.text}${where}`;
  });
  return (
    `The page raised ${errors.length} error${errors.length === 1 ? '' : 's'} during the test ` +
    '(a test that provokes one on purpose declares it with expectConsoleErrors, end2end/tests/fixtures.ts):\n' +
    lines.join('\n')
  );
}

/** The current test's pages (Playwright runs one test at a time in a worker). */
let current: PageErrors | undefined;

function errorsOfThisTest(what: string): PageErrors {
  if (!current) throw new Error(`${what} can only be called while a test runs`);
  return current;
}

/**
 * Watches a page made outside the `page` fixture (helpers' `freshPage` calls it): its errors
 * fail the test like the fixture page's. With `closeContext`, its context is closed when the
 * test ends.
 */
export function watchPage(page: Page, options: { closeContext?: boolean } = {}): Page {
  const errors = errorsOfThisTest('watchPage');
  errors.watch(page);
  if (options.closeContext) errors.adopt(page.context());
  return page;
}

/**
 * Declares console errors this test provokes on `page` on purpose: a message whose text
 * matches `text` (and, with `url`, whose source, e.g. the failed resource, matches `url`) does
 * not fail the test. Whether it appears at all is not checked. Keep both patterns narrow.
 */
export function expectConsoleErrors(page: Page, text: RegExp, options: { url?: RegExp } = {}): void {
  errorsOfThisTest('expectConsoleErrors').expect(page, { text, url: options.url });
}

/**
 * Declares that the server answers a request of `page` for a URL matching `url` with `status`
 * on purpose: Chromium logs that as "Failed to load resource: the server responded with a
 * status of 404 (Not Found)".
 */
export function expectFailedResponse(page: Page, status: number, url: RegExp): void {
  const text = new RegExp(`^Failed to load resource: the server responded with a status of ${status} \\(`);
  expectConsoleErrors(page, text, { url });
}

export const test = base.extend<{ pageErrors: PageErrors }>({
  pageErrors: [
    async ({}, use) => {
      const errors = new PageErrors();
      current = errors;
      try {
        await use(errors);
      } finally {
        current = undefined;
      }
      const unexpected = errors.unexpected();
      await errors.closeOwnContexts();
      if (unexpected.length > 0) throw new Error(report(unexpected));
    },
    { auto: true },
  ],
  page: async ({ page, pageErrors }, use) => {
    pageErrors.watch(page);
    await use(page);
  },
});

export { expect };
export type { Page };
