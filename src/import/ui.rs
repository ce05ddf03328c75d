//! The import card of `/account`: a plain multipart form (it works without scripts, and the
//! page's WASM carries none of it), and the report of the last import, which the form's
//! answer comes back to.

#[cfg(feature = "ssr")]
use leptos::either::Either;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::{LastImport, Problem, ROWS_MAX, api::last_import, summary};
#[cfg(feature = "ssr")]
use crate::{
    dates::machine_of,
    ui::{Alert, error_text},
    zone::minute_in,
};

/// Where the form is sent.
#[cfg(feature = "ssr")]
const ACTION: &str = "/api/import";

/// The "Import" card of `/account`: rendered by the server only (the WASM, which hydrates
/// islands, never renders it, and carrying its text there moved the WASM's other strings
/// about enough to cost 700 bytes of its gzip budget; see [`ImportCard`]'s other build).
#[cfg(feature = "ssr")]
#[component]
pub fn ImportCard(
    /// The account's time zone, for the report's time.
    zone: String,
) -> impl IntoView {
    view! {
        <section class="card" id="import" aria-labelledby="import-heading">
            <h2 id="import-heading">"Import"</h2>
            <p class="hint">
                "Bring tasks in from a Doable export (JSON or CSV), a Todoist project (its CSV template), \
                 or a spreadsheet saved as CSV with a " <code>"title"</code>
                " column. A file with any error imports nothing; importing the same file again adds nothing twice."
            </p>
            <Suspense fallback=|| {
                view! { <p class="loading">"Loading…"</p> }
            }>
                {Suspend::new(async move {
                    match last_import().await {
                        Ok(answer) => Either::Left(answer.last.map(|last| view! { <LastReport last zone /> })),
                        Err(e) => Either::Right(view! { <Alert message=error_text(&e) /> }),
                    }
                })}
            </Suspense>
            <form method="post" action=ACTION enctype="multipart/form-data" class="import-form">
                <div class="field">
                    <label for="import-file">"File"</label>
                    <input
                        id="import-file"
                        name="file"
                        type="file"
                        required
                        accept=".json,.csv,application/json,text/csv"
                        aria-describedby="import-file-hint"
                    />
                    <p class="hint" id="import-file-hint">
                        {format!("At most 10 MiB and {ROWS_MAX} rows, in UTF-8.")}
                    </p>
                </div>
                <div class="field">
                    <label for="import-format">"Format"</label>
                    <select id="import-format" name="format">
                        <option value="">"Tell from the file"</option>
                        <option value="doable">"Doable export (JSON)"</option>
                        <option value="csv">"CSV with a header (Doable's columns)"</option>
                        <option value="todoist">"Todoist project (CSV)"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="import-list">"List for rows that name none"</label>
                    <input
                        id="import-list"
                        name="list"
                        type="text"
                        maxlength="100"
                        aria-describedby="import-list-hint"
                    />
                    <p class="hint" id="import-list-hint">
                        "For CSV files. Empty: your Inbox, or for a Todoist project a list named after its file."
                    </p>
                </div>
                <div class="field checkbox-field">
                    <input id="import-dry-run" name="dry_run" type="checkbox" value="true" />
                    <label for="import-dry-run">"Only check the file (a dry run changes nothing)"</label>
                </div>
                <button type="submit">"Import"</button>
            </form>
        </section>
    }
}

/// The card in the WASM's build: nothing (the page is the server's).
#[cfg(not(feature = "ssr"))]
#[component]
pub fn ImportCard(
    /// The account's time zone.
    zone: String,
) -> impl IntoView {
    let _ = zone;
}

/// The last import's report.
#[cfg(feature = "ssr")]
#[component]
fn LastReport(last: LastImport, zone: String) -> impl IntoView {
    let report = last.report;
    let failed = report.error_count > 0;
    let more = |listed: usize, count: u64| {
        (count > listed as u64).then(|| view! { <p class="hint">{format!("…and {} more.", count - listed as u64)}</p> })
    };
    let errors_more = more(report.errors.len(), report.error_count);
    let warnings_more = more(report.warnings.len(), report.warning_count);
    view! {
        <div class="import-report" role="status">
            <p>
                <strong>"Last import"</strong>
                " ("
                <time datetime=machine_of(&last.at)>{minute_in(&last.at, &zone)}</time>
                "): "
                <span class=if failed { "import-failed" } else { "import-done" }>{summary(&report)}</span>
            </p>
            {(!report.errors.is_empty()).then(|| view! { <Problems caption="Errors" problems=report.errors /> })}
            {errors_more}
            {(!report.warnings.is_empty())
                .then(|| view! { <Problems caption="Imported with changes" problems=report.warnings /> })}
            {warnings_more}
        </div>
    }
}

/// A table of problems, by row.
#[cfg(feature = "ssr")]
#[component]
fn Problems(caption: &'static str, problems: Vec<Problem>) -> impl IntoView {
    view! {
        <table class="import-problems">
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">"Row"</th>
                    <th scope="col">"Field"</th>
                    <th scope="col">"Problem"</th>
                </tr>
            </thead>
            <tbody>
                {problems
                    .into_iter()
                    .map(|p| {
                        view! {
                            <tr>
                                <td>{p.row.map(|r| r.to_string()).unwrap_or_else(|| "—".into())}</td>
                                <td>{p.field.unwrap_or_default()}</td>
                                <td>{p.message}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
