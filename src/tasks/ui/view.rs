//! The view the URL asks for (`?status=active&q=milk&sort=due&page=2`), and the URL of a
//! view: everything the task page shows is in its address, so that a reload, the back
//! button or a shared link keeps it.

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos_router::hooks::use_query_map;

use crate::{
    tasks::{ListQuery, limits},
    ui::encode_component,
};

/// Tasks per page.
pub(super) const PAGE_SIZE: i64 = limits::LIMIT_DEFAULT;

/// The view the URL asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    /// The list shown (its id); empty: every list of the user's.
    pub(super) list: String,
    /// `me`, `none` or a member's id; empty: anyone's.
    pub(super) assignee: String,
    pub(super) status: String,
    pub(super) q: String,
    pub(super) priority: String,
    pub(super) tag: String,
    pub(super) due: String,
    pub(super) sort: String,
    pub(super) order: String,
    pub(super) page: i64,
    pub(super) edit: String,
}

impl View {
    /// The view of a URL's query, given a way to read its parameters.
    fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let trimmed = |key: &str| get(key).map(|v| v.trim().to_owned()).unwrap_or_default();
        Self {
            list: trimmed("list"),
            assignee: trimmed("assignee"),
            status: trimmed("status"),
            q: get("q").unwrap_or_default(),
            priority: trimmed("priority"),
            tag: trimmed("tag"),
            due: trimmed("due"),
            sort: trimmed("sort"),
            order: trimmed("order"),
            page: trimmed("page").parse::<i64>().ok().filter(|p| *p >= 1).unwrap_or(1),
            edit: trimmed("edit"),
        }
    }

    /// The view of the page's URL: the request's on the server, the address bar's in the
    /// browser (read there rather than passed in the island's props, which would take a
    /// JSON decoder for it in the WASM).
    pub(super) fn current() -> Self {
        #[cfg(feature = "ssr")]
        return {
            let params = use_query_map();
            let params = params.read_untracked();
            Self::from_query(|key| params.get(key))
        };
        #[cfg(not(feature = "ssr"))]
        return Self::from_location();
    }

    /// The view of the browser's current URL.
    pub(super) fn from_location() -> Self {
        let search = window().location().search().unwrap_or_default();
        match web_sys::UrlSearchParams::new_with_str(&search) {
            Ok(params) => Self::from_query(|key| params.get(key)),
            Err(_) => Self::default(),
        }
    }

    /// The order a sort key is shown in when the URL does not say: newest, soonest, most
    /// urgent, A to Z.
    pub(super) fn default_order(sort: &str) -> &'static str {
        match sort {
            "due" | "title" => "asc",
            _ => "desc",
        }
    }

    pub(super) fn query(&self) -> ListQuery {
        let some = |v: &String| (!v.is_empty()).then(|| v.clone());
        let order = if self.order.is_empty() { Self::default_order(&self.sort).to_owned() } else { self.order.clone() };
        ListQuery {
            list_id: some(&self.list),
            assignee: some(&self.assignee),
            status: some(&self.status),
            q: some(&self.q),
            priority: some(&self.priority),
            tag: some(&self.tag),
            due: some(&self.due),
            sort: some(&self.sort),
            order: Some(order),
            limit: Some(PAGE_SIZE.to_string()),
            offset: Some(((self.page - 1).saturating_mul(PAGE_SIZE)).to_string()),
            after: None,
        }
    }

    /// The URL of this view.
    pub(super) fn href(&self) -> String {
        let pairs = [
            ("list", &self.list),
            ("assignee", &self.assignee),
            ("status", &self.status),
            ("q", &self.q),
            ("priority", &self.priority),
            ("tag", &self.tag),
            ("due", &self.due),
            ("sort", &self.sort),
            ("order", &self.order),
        ];
        let mut query: Vec<String> =
            pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", encode_component(v))).collect();
        if self.page > 1 {
            query.push(format!("page={}", self.page));
        }
        if !self.edit.is_empty() {
            query.push(format!("edit={}", encode_component(&self.edit)));
        }
        if query.is_empty() { "/tasks".to_owned() } else { format!("/tasks?{}", query.join("&")) }
    }

    /// This view changed by `change`, back on its first page and out of editing.
    pub(super) fn changed(&self, change: impl FnOnce(&mut Self)) -> Self {
        let mut next = Self { page: 1, edit: String::new(), ..self.clone() };
        // (The list and the assignee are kept: filters narrow the list in view.)
        change(&mut next);
        next
    }

    /// Whether filters other than the status narrow the list.
    pub(super) fn is_filtered(&self) -> bool {
        !(self.q.is_empty() && self.priority.is_empty() && self.tag.is_empty() && self.due.is_empty())
    }

    /// The sort key shown in the menu.
    pub(super) fn sort_key(&self) -> &str {
        if self.sort.is_empty() { "created" } else { &self.sort }
    }

    /// The order shown in the menu.
    pub(super) fn order_key(&self) -> &str {
        if self.order.is_empty() { Self::default_order(self.sort_key()) } else { &self.order }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The view of a query string, decoded the way a browser's `URLSearchParams` does.
    fn parse(query: &str) -> View {
        let pairs: Vec<(String, String)> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                let decode = |text: &str| {
                    percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8().unwrap().into_owned()
                };
                (decode(key), decode(value))
            })
            .collect();
        View::from_query(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    fn href_query(view: &View) -> String {
        let href = view.href();
        href.strip_prefix("/tasks").unwrap().trim_start_matches('?').to_owned()
    }

    #[test]
    fn an_empty_query_is_the_default_view_on_its_first_page() {
        assert_eq!(parse(""), View { page: 1, ..View::default() });
        assert_eq!(View { page: 1, ..View::default() }.href(), "/tasks");
    }

    #[test]
    fn a_query_decodes_to_its_view() {
        let view = parse(concat!(
            "list=L&assignee=me&status=active&q=+Milk+&priority=high&tag=home&due=today",
            "&sort=due&order=asc&page=3&edit=x"
        ));
        assert_eq!(
            view,
            View {
                list: "L".into(),
                assignee: "me".into(),
                status: "active".into(),
                q: " Milk ".into(),
                priority: "high".into(),
                tag: "home".into(),
                due: "today".into(),
                sort: "due".into(),
                order: "asc".into(),
                page: 3,
                edit: "x".into(),
            },
            "the search keeps its spaces; the other fields are trimmed"
        );
        assert_eq!(parse("status=%20completed%20").status, "completed");
    }

    #[test]
    fn a_page_that_is_not_a_positive_number_is_the_first() {
        for page in ["0", "-2", "two", "", "1.5", "99999999999999999999"] {
            assert_eq!(parse(&format!("page={page}")).page, 1, "{page:?}");
        }
        assert_eq!(parse("page=+4+").page, 4);
    }

    #[test]
    fn every_view_survives_its_own_url() {
        let views = [
            View { page: 1, ..View::default() },
            View { q: "50% & more = #1 / ü?".into(), page: 1, ..View::default() },
            View { status: "completed".into(), tag: "naïve".into(), page: 2, ..View::default() },
            View { sort: "title".into(), order: "desc".into(), edit: "0199-ab".into(), page: 12, ..View::default() },
        ];
        for view in views {
            assert_eq!(parse(&href_query(&view)), view, "{}", view.href());
        }
    }

    #[test]
    fn a_url_names_only_what_differs_from_the_default() {
        let view = View { status: "active".into(), page: 1, ..View::default() };
        assert_eq!(view.href(), "/tasks?status=active");
        assert_eq!(View { page: 2, ..view.clone() }.href(), "/tasks?status=active&page=2");
        assert_eq!(View { edit: "id".into(), ..view }.href(), "/tasks?status=active&edit=id");
    }

    #[test]
    fn the_list_query_asks_for_the_views_page_in_its_natural_order() {
        let query = View { page: 3, ..View::default() }.query();
        assert_eq!((query.limit.as_deref(), query.offset.as_deref()), (Some("50"), Some("100")));
        assert_eq!((query.status, query.q, query.sort), (None, None, None), "empty fields are left out");
        for (sort, order) in [("", "desc"), ("created", "desc"), ("updated", "desc"), ("priority", "desc")] {
            let view = View { sort: sort.into(), page: 1, ..View::default() };
            assert_eq!(view.query().order.as_deref(), Some(order), "{sort}");
            assert_eq!(view.order_key(), order);
        }
        for sort in ["due", "title"] {
            let view = View { sort: sort.into(), page: 1, ..View::default() };
            assert_eq!(view.query().order.as_deref(), Some("asc"), "{sort}: soonest first, A to Z");
        }
        let chosen = View { sort: "due".into(), order: "desc".into(), page: 1, ..View::default() };
        assert_eq!(chosen.query().order.as_deref(), Some("desc"));
        let far = View { page: i64::MAX, ..View::default() };
        assert_eq!(far.query().offset.as_deref(), Some(i64::MAX.to_string().as_str()), "no overflow");
    }

    #[test]
    fn a_change_goes_back_to_the_first_page_and_closes_the_edit_form() {
        let view = View { q: "milk".into(), page: 4, edit: "id".into(), ..View::default() };
        let next = view.changed(|v| v.tag = "home".into());
        assert_eq!(next, View { q: "milk".into(), tag: "home".into(), page: 1, ..View::default() });
    }

    #[test]
    fn only_search_and_filters_make_a_view_filtered() {
        let plain = View { status: "active".into(), sort: "due".into(), page: 1, ..View::default() };
        assert!(!plain.is_filtered());
        assert_eq!(plain.sort_key(), "due");
        assert_eq!(View::default().sort_key(), "created");
        for filtered in [
            View { q: "x".into(), ..plain.clone() },
            View { priority: "low".into(), ..plain.clone() },
            View { tag: "t".into(), ..plain.clone() },
            View { due: "overdue".into(), ..plain },
        ] {
            assert!(filtered.is_filtered(), "{filtered:?}");
        }
    }
}
