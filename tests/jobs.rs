//! Bulk changes that go on in the background, on whichever database the tests run on: a
//! request does a batch and answers 202 with the job, which the runners finish with every row
//! changed exactly once; one job per person at a time; a job left by a stopped server is taken
//! up; a batch whose runner lost the job, or of a person who lost the right, changes nothing;
//! what changed after the job started is left alone; the page shows the progress without
//! JavaScript. Batches are 50 rows here (`DOABLE_BULK_BATCH`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{
    Client, TestApp,
    sharing::{add_task, join, make_list, ok, person},
    spawn_with,
};
use doable::{
    db::Timestamp,
    jobs::{
        Runner,
        step::{Advanced, Step},
    },
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const BATCH: &str = "50";

async fn app() -> TestApp {
    spawn_with(&[("DOABLE_BULK_BATCH", BATCH)]).await
}

/// Creates `n` tasks (in the Inbox, or in `list`).
async fn create_tasks(client: &Client, n: usize, list: Option<&str>) {
    for i in 0..n {
        let title = format!("task {i}");
        let mut form = vec![("title", title.as_str())];
        if let Some(list) = list {
            form.push(("list_id", list));
        }
        let created = client.post("/api/tasks/create", &form).await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    }
}

/// Asks how far job `id` is until it has finished (at most 30 s); its last state.
async fn finished(client: &Client, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = ok(client.get("/api/jobs/get", &[("id", id)]).await, "get the job");
        if job["finished"] == true {
            return job;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts a bulk change that needs more than one batch: 202, the job and the first batch.
async fn started(client: &Client, path: &str, form: &[(&str, &str)], counted: &str, total: u64) -> Value {
    let answer = client.post(path, form).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{path}: {}", answer.text);
    assert_eq!(answer.json[counted], 50, "{path}: the request does one batch: {}", answer.text);
    let job = &answer.json["job"];
    assert_eq!(job["total"], total, "{path}: {job}");
    assert_eq!(job["done"], 50, "{path}: {job}");
    assert_eq!(job["finished"], false, "{path}: {job}");
    job.clone()
}

async fn events(app: &TestApp, user: &str, kind: &str) -> i64 {
    app.count(&format!("list_events where actor_id = $1 and kind = '{kind}'"), user).await
}

/// Completing, reopening, clearing and purging 130 tasks: each answers 202 after a batch, and
/// the job ends with every task changed once, with one event each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_bulk_change_goes_on_in_the_background_until_every_task_is_changed() {
    let app = app().await;
    let (ada, id) = app.user("ada@example.com").await;
    create_tasks(&ada, 130, None).await;

    let job = started(&ada, "/api/tasks/complete-all", &[("completed", "true")], "updated", 130).await;
    assert_eq!(job["kind"], "complete_all");
    assert_eq!(job["list_id"], Value::Null);
    let done = finished(&ada, job["id"].as_str().unwrap()).await;
    assert_eq!((done["done"].as_u64(), done["total"].as_u64()), (Some(130), Some(130)));
    assert_eq!(app.count("tasks where created_by = $1 and completed", &id).await, 130);
    assert_eq!(events(&app, &id, "task_completed").await, 130, "one event per task, none twice");
    assert_eq!(ok(ada.get("/api/jobs/current", &[]).await, "current"), Value::Null);

    let job = started(&ada, "/api/tasks/complete-all", &[("completed", "false")], "updated", 130).await;
    assert_eq!(job["kind"], "reopen_all");
    finished(&ada, job["id"].as_str().unwrap()).await;
    assert_eq!(app.count("tasks where created_by = $1 and not completed", &id).await, 130);
    assert_eq!(events(&app, &id, "task_reopened").await, 130);

    // The 130 again, completed, then cleared to the trash and purged.
    finished(
        &ada,
        started(&ada, "/api/tasks/complete-all", &[("completed", "true")], "updated", 130).await["id"]
            .as_str()
            .unwrap(),
    )
    .await;
    let job = started(&ada, "/api/tasks/clear-completed", &[], "deleted", 130).await;
    finished(&ada, job["id"].as_str().unwrap()).await;
    assert_eq!(app.count("tasks where created_by = $1", &id).await, 0);
    assert_eq!(app.count("trashed_tasks where deleted_by = $1", &id).await, 130);
    assert_eq!(events(&app, &id, "task_deleted").await, 130);

    let job = started(&ada, "/api/trash/empty", &[], "deleted", 130).await;
    let done = finished(&ada, job["id"].as_str().unwrap()).await;
    assert_eq!(done["done"], 130);
    assert_eq!(app.count("trashed_tasks where deleted_by = $1", &id).await, 0);
}

/// A bulk change of one batch or less answers at once, as it always did, and leaves no job
/// behind.
#[tokio::test]
async fn a_small_bulk_change_answers_at_once() {
    let app = app().await;
    let (ada, _) = app.user("ada@example.com").await;
    create_tasks(&ada, 3, None).await;
    let answer = ada.post("/api/tasks/complete-all", &[("completed", "true")]).await;
    assert_eq!((answer.status, answer.json), (StatusCode::OK, json!({"updated": 3})));
    let answer = ada.post("/api/tasks/clear-completed", &[]).await;
    assert_eq!((answer.status, answer.json), (StatusCode::OK, json!({"deleted": 3})));
    assert_eq!(ok(ada.get("/api/jobs/current", &[]).await, "current"), Value::Null);
    assert_eq!(app.count("jobs", "").await, 0, "a change done in its request leaves no job behind");
}

/// A job of `user`'s, unfinished, held by a runner that is not this server's: until
/// `lease_until`, no runner of this server takes it.
async fn held_job(app: &TestApp, user: &str, kind: &str, owner: Uuid, lease_until: Timestamp) -> Uuid {
    let id = Uuid::new_v4();
    let user = Uuid::parse_str(user).unwrap();
    doable::execute!(app.db, |conn| {
        sqlx::query(
            "insert into jobs (id, user_id, kind, list_id, started_at, total, lease_owner, lease_until) \
             values ($1, $2, $3, null, $4, 60, $5, $6)",
        )
        .bind(id)
        .bind(user)
        .bind(kind)
        .bind(Timestamp::now())
        .bind(owner)
        .bind(lease_until)
        .execute(conn)
    })
    .unwrap();
    id
}

/// While a person's job runs, their other bulk changes are refused with 409 and change
/// nothing; another person's are not held up.
#[tokio::test]
async fn a_second_bulk_change_is_refused_while_the_first_runs() {
    let app = app().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    let (bob, _) = app.user("bob@example.com").await;
    create_tasks(&ada, 2, None).await;
    create_tasks(&bob, 2, None).await;
    let later = Timestamp::now() + Duration::from_secs(600);
    let job = held_job(&app, &ada_id, "complete_all", Uuid::new_v4(), later).await;
    let current = ok(ada.get("/api/jobs/current", &[]).await, "current");
    assert_eq!(current["id"], job.to_string());
    assert_eq!(current["finished"], false);
    for (path, form) in [
        ("/api/tasks/complete-all", &[("completed", "true")][..]),
        ("/api/tasks/clear-completed", &[][..]),
        ("/api/trash/empty", &[][..]),
    ] {
        let refused = ada.post(path, form).await;
        assert_eq!((refused.status, refused.code()), (StatusCode::CONFLICT, "job_running"), "{path}");
    }
    assert_eq!(app.count("tasks where created_by = $1 and completed", &ada_id).await, 0, "nothing changed");
    let theirs = bob.post("/api/tasks/complete-all", &[("completed", "true")]).await;
    assert_eq!((theirs.status, theirs.json), (StatusCode::OK, json!({"updated": 2})));
    // A job is read by its person only.
    let stranger = bob.get("/api/jobs/get", &[("id", &job.to_string())]).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    let malformed = bob.get("/api/jobs/get", &[("id", "nope")]).await;
    assert_eq!((malformed.status, malformed.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
}

/// A job whose runner stopped (its lease lapsed) is taken up by a runner of another server
/// and finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_left_by_a_stopped_server_is_taken_up_and_finished() {
    let app = app().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    create_tasks(&ada, 60, None).await;
    let lapsed = Timestamp::now() - Duration::from_secs(1);
    let job = held_job(&app, &ada_id, "complete_all", Uuid::new_v4(), lapsed).await;
    app.state.jobs.wake.notify_one();
    let done = finished(&ada, &job.to_string()).await;
    assert_eq!(done["done"], 60);
    assert_eq!(app.count("tasks where created_by = $1 and completed", &ada_id).await, 60);
    assert_eq!(events(&app, &ada_id, "task_completed").await, 60);
}

/// A batch of `user`'s job `job` as `owner` runs it, of at most `limit` rows.
fn step(job: Uuid, owner: Uuid, started: Timestamp, limit: i64) -> Step {
    let now = Timestamp::now();
    Step { job, owner, started, limit, now, lease_until: Some(now + Duration::from_secs(15)) }
}

/// A batch of a runner that no longer holds the job (another took it over) changes nothing.
#[tokio::test]
async fn a_batch_of_a_job_its_runner_lost_changes_nothing() {
    let app = app().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    create_tasks(&ada, 5, None).await;
    let (holder, other) = (Uuid::new_v4(), Uuid::new_v4());
    let later = Timestamp::now() + Duration::from_secs(600);
    let job = held_job(&app, &ada_id, "complete_all", holder, later).await;
    let user = Uuid::parse_str(&ada_id).unwrap();
    let lost = step(job, other, Timestamp::now(), 50);
    let changed = doable::tasks::store::complete_all(&app.db, user, None, true, &lost).await.unwrap();
    assert_eq!(changed, None);
    assert_eq!(app.count("tasks where created_by = $1 and completed", &ada_id).await, 0);
    assert_eq!(events(&app, &ada_id, "task_completed").await, 0);
    let held = step(job, holder, Timestamp::now(), 50);
    let changed = doable::tasks::store::complete_all(&app.db, user, None, true, &held).await.unwrap();
    assert_eq!(changed, Some(Advanced { done: 5, last: true }));
    let job = ok(ada.get("/api/jobs/get", &[("id", &job.to_string())]).await, "job");
    assert_eq!((job["done"].as_u64(), job["finished"].as_bool()), (Some(5), Some(true)));
}

/// A job changes the tasks as they were when it was asked for: a task completed since (by
/// hand, or by another member) stays completed when the job reopens all; and a member whose
/// role is lowered to viewer while their job runs changes no more tasks.
#[tokio::test]
async fn a_job_leaves_alone_what_changed_after_it_started_and_what_its_person_may_no_longer_change() {
    let app = app().await;
    let owner = person(&app, "owner@example.com").await;
    let editor = person(&app, "editor@example.com").await;
    let list = make_list(&owner, "Household").await;
    join(&owner, &list, &editor, "editor").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(add_task(&owner.client, &list, &format!("chore {i}")).await);
    }
    ok(owner.client.post("/api/tasks/complete-all", &[("completed", "true"), ("list_id", &list)]).await, "complete");

    let (runner, editor_id, list_id) =
        (Uuid::new_v4(), Uuid::parse_str(&editor.id).unwrap(), Uuid::parse_str(&list).unwrap());
    let started = Timestamp::now();
    let job = held_job(&app, &editor.id, "reopen_all", runner, started + Duration::from_secs(600)).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    // After the job started: the owner completes a task again that the job is about to reopen.
    let kept = &ids[0];
    ok(owner.client.post("/api/tasks/set-completed", &[("id", kept), ("completed", "false")]).await, "reopen");
    ok(owner.client.post("/api/tasks/set-completed", &[("id", kept), ("completed", "true")]).await, "complete");

    let first = step(job, runner, started, 2);
    let reopen = |batch| doable::tasks::store::complete_all(&app.db, editor_id, Some(list_id), false, batch);
    let advanced = reopen(&first).await.unwrap();
    assert_eq!(advanced, Some(Advanced { done: 2, last: false }), "a first batch of two");
    ok(
        owner.client.post("/api/lists/set-role", &[("id", &list), ("user_id", &editor.id), ("role", "viewer")]).await,
        "demote",
    );
    let second = step(job, runner, started, 2);
    let advanced = reopen(&second).await.unwrap();
    assert_eq!(advanced, Some(Advanced { done: 0, last: true }), "a viewer's batch changes nothing");
    let job = ok(editor.client.get("/api/jobs/get", &[("id", &job.to_string())]).await, "job");
    assert_eq!((job["done"].as_u64(), job["finished"].as_bool()), (Some(2), Some(true)));
    let open = app.count("tasks where list_id = $1 and not completed", &list).await;
    assert_eq!(open, 2, "two reopened, the rest left as the viewer found them");
    let kept = owner.client.get("/api/tasks/get", &[("id", kept)]).await;
    assert_eq!(kept.json["completed"], true, "completed after the job started, and left so");
}

/// Two runners (as two servers on one database) share the jobs of three people: every task
/// is completed once, with one event each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_change_every_row_of_every_job_once() {
    let app = app().await;
    let mut people = Vec::new();
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        let (client, id) = app.user(email).await;
        create_tasks(&client, 120, None).await;
        people.push((client, id));
    }
    let second = Runner::new(50);
    let other_server = tokio::spawn(doable::jobs::store::run(app.db.clone(), second.clone()));
    let mut jobs = Vec::new();
    for (client, _) in &people {
        let job = started(client, "/api/tasks/complete-all", &[("completed", "true")], "updated", 120).await;
        second.wake.notify_one();
        jobs.push(job["id"].as_str().unwrap().to_owned());
    }
    for ((client, id), job) in people.iter().zip(&jobs) {
        assert_eq!(finished(client, job).await["done"], 120);
        assert_eq!(app.count("tasks where created_by = $1 and completed", id).await, 120);
        assert_eq!(events(&app, id, "task_completed").await, 120);
    }
    other_server.abort();
}

/// Without JavaScript: the form is answered with the redirect back (not 202), and the task
/// page and the trash show how far the job is, with a way to look again.
#[tokio::test]
async fn without_javascript_the_pages_show_the_jobs_progress() {
    let app = app().await;
    let (ada, ada_id) = app.user("ada@example.com").await;
    create_tasks(&ada, 60, None).await;
    let browser = ada.with_header("accept", "text/html").with_header("referer", &format!("{}/tasks", app.base));
    let answer = browser.post("/api/tasks/complete-all", &[("completed", "true")]).await;
    assert!(answer.status.is_redirection(), "{}", answer.status);
    let current = ok(ada.get("/api/jobs/current", &[]).await, "current");
    if current != Value::Null {
        finished(&ada, current["id"].as_str().unwrap()).await;
    }
    let later = Timestamp::now() + Duration::from_secs(600);
    held_job(&app, &ada_id, "clear_completed", Uuid::new_v4(), later).await;
    for page in ["/tasks", "/trash"] {
        let html = browser.get(page, &[]).await.text;
        assert!(html.contains("Clearing completed tasks: 0 of 60 done"), "{page}: {html}");
        assert!(html.contains("Load the page again"), "{page}");
    }
}

/// SQLite: the writer's page cache is wide only while bulk changes run, and SQLite's default
/// again once they are done (64 MiB held for ever after is what must not happen).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writers_cache_is_given_back_after_the_jobs() {
    let app = app().await;
    let doable::db::Writer::Sqlite(writer) = app.db.writer().clone() else { return };
    let cache = || async {
        doable::with_writer!(app.db, |conn| sqlx::query_scalar::<_, i64>("pragma cache_size").fetch_one(conn).await)
            .unwrap()
    };
    assert_eq!(cache().await, -2000, "SQLite's default to begin with");
    writer.bulk_cache(true).await.unwrap();
    assert_eq!(cache().await, -65536);
    writer.bulk_cache(false).await.unwrap();
    assert_eq!(cache().await, -2000);

    let (ada, _) = app.user("ada@example.com").await;
    create_tasks(&ada, 120, None).await;
    let job = started(&ada, "/api/tasks/complete-all", &[("completed", "true")], "updated", 120).await;
    finished(&ada, job["id"].as_str().unwrap()).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while cache().await != -2000 {
        assert!(Instant::now() < deadline, "the runner kept the wide cache after its jobs");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Emptying the trash of a list purges its tasks and then its history, batch after batch
/// without a pause, though the history is no progress to show (60 tasks and their 60
/// events, in batches of 50), and then the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purged_list_goes_with_its_history_batch_after_batch() {
    let app = app().await;
    let owner = person(&app, "owner@example.com").await;
    let list = make_list(&owner, "Old project").await;
    create_tasks(&owner.client, 60, Some(&list)).await;
    assert!(app.count("list_events where list_id = $1", &list).await > 60);
    ok(owner.client.post("/api/lists/delete", &[("id", &list)]).await, "delete the list");
    let started = Instant::now();
    let job = started_job(&owner.client, "/api/trash/empty").await;
    let done = finished(&owner.client, job["id"].as_str().unwrap()).await;
    assert!(started.elapsed() < Duration::from_secs(5), "a batch of history only waited {:?}", started.elapsed());
    assert_eq!(done["done"], 61, "the 60 tasks and the list");
    for table in ["tasks where list_id = $1", "list_events where list_id = $1", "lists where id = $1"] {
        assert_eq!(app.count(table, &list).await, 0, "{table}");
    }
}

/// A bulk change that answers 202: its job.
async fn started_job(client: &Client, path: &str) -> Value {
    let answer = client.post(path, &[]).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{path}: {}", answer.text);
    answer.json["job"].clone()
}

/// While the owner's trash is being emptied, a list of theirs in it cannot be restored (the
/// job may have purged part of it): 409, and the list stays in the trash.
#[tokio::test]
async fn a_list_is_not_restored_while_the_trash_is_emptied() {
    let app = app().await;
    let owner = person(&app, "owner@example.com").await;
    let list = make_list(&owner, "Old project").await;
    ok(owner.client.post("/api/lists/delete", &[("id", &list)]).await, "delete the list");
    let later = Timestamp::now() + Duration::from_secs(600);
    let job = held_job(&app, &owner.id, "empty_trash", Uuid::new_v4(), later).await;
    let refused = owner.client.post("/api/trash/restore", &[("kind", "list"), ("id", &list)]).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::CONFLICT, "job_running"), "{}", refused.text);
    assert_eq!(app.count("lists where id = $1 and deleted_at is not null", &list).await, 1);
    doable::execute!(app.db, |conn| sqlx::query("delete from jobs where id = $1").bind(job).execute(conn)).unwrap();
    ok(owner.client.post("/api/trash/restore", &[("kind", "list"), ("id", &list)]).await, "restore");
}

/// PostgreSQL: a task that another transaction changes while a batch waits for it is skipped,
/// and the batch, which picked its limit, is not taken for the last: the tasks after it are
/// still to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_skips_a_task_changed_meanwhile_is_not_the_last() {
    let app = app().await;
    let doable::db::Writer::Postgres(pool) = app.db.writer().clone() else { return };
    let (ada, ada_id) = app.user("ada@example.com").await;
    create_tasks(&ada, 5, None).await;
    let runner = Uuid::new_v4();
    let job = held_job(&app, &ada_id, "complete_all", runner, Timestamp::now() + Duration::from_secs(600)).await;
    let started = Timestamp::now();
    // Another transaction completes one task and holds it.
    let mut other = pool.begin().await.unwrap();
    let held: Uuid = sqlx::query_scalar(
        "update tasks set completed = true, updated_at = $1 where id = (select id from tasks where list_id = $2 \
         order by id limit 1) returning id",
    )
    .bind(Timestamp::now())
    .bind(Uuid::parse_str(&ada_id).unwrap())
    .fetch_one(&mut *other)
    .await
    .unwrap();
    let user = Uuid::parse_str(&ada_id).unwrap();
    let db = app.db.clone();
    let batch = tokio::spawn(async move {
        doable::tasks::store::complete_all(&db, user, None, true, &step(job, runner, started, 5)).await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    other.commit().await.unwrap();
    let advanced = batch.await.unwrap().unwrap();
    assert_eq!(advanced, Some(Advanced { done: 4, last: false }), "the held task {held} was skipped");
}
