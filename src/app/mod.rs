//! The HTML shell, the root component and the routes.

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

use crate::{
    auth::ui::{AccountPage, LoginPage, SignupPage, provide_auth},
    history::ui::HistoryPage,
    lists::ui::ListSettingsPage,
    notifications::ui::NotificationsPage,
    tasks::ui::TasksPage,
    trash::ui::TrashPage,
};

mod layout;

use layout::{Footer, Header, Home, NotFound};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name="description" content="Doable: your tasks, done." />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options islands=true />
                <MetaTags />
                // Desktop notifications of reminders (public/notify.js: a plain script, no island).
                <script src="/notify.js" defer nonce=use_nonce()></script>
                // Live updates (public/live.js: the stream of changes, for every part of the page).
                <script src="/live.js" defer nonce=use_nonce()></script>
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The app: a header, the page of the current route, a footer.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_auth();

    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Doable".to_owned() } else { format!("{page} · Doable") }
        } />
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <Header />
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/tasks") view=TasksPage ssr=SsrMode::Async />
                    <Route path=path!("/lists/:id") view=ListSettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/lists/:id/history") view=HistoryPage ssr=SsrMode::Async />
                    <Route path=path!("/trash") view=TrashPage ssr=SsrMode::Async />
                    <Route path=path!("/notifications") view=NotificationsPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}
