//! The progress of a bulk change that runs in the background, as the pages show it: what it
//! does and how far it has come. Without the WASM it is what the page was rendered with,
//! with a link that loads the page again; the task board keeps it up to date itself.

use leptos::prelude::*;

use super::Job;

/// "Completing tasks: 12,000 of 99,000", with a bar.
#[component]
pub fn JobProgress(job: Job) -> impl IntoView {
    let said = format!("{}: {} of {} done…", job.kind.doing(), thousands(job.done), thousands(job.total));
    view! {
        <div class="card job-progress" role="status" aria-live="polite">
            <p>{said}</p>
            <progress max=job.total.max(1) value=job.done></progress>
            <p class="hint no-js-only">
                "This goes on in the background. " <a href="">"Load the page again"</a> " to see how far it has come."
            </p>
        </div>
    }
}

/// `1234567` as "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_separated() {
        let cases = [(0, "0"), (999, "999"), (1000, "1,000"), (99_000, "99,000"), (1_234_567, "1,234,567")];
        for (n, shown) in cases {
            assert_eq!(super::thousands(n), shown);
        }
    }
}
