//! The server functions of jobs: `GET /api/jobs/current` and `GET /api/jobs/get`, and the
//! start of a job that the bulk changes' own server functions share.

use leptos::{prelude::*, server_fn::codec::GetUrl};
use serde::{Deserialize, Serialize};

use super::Job;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    auth::extract::require_user,
    error::docs::{OwnReadErrors, SessionErrors},
    state::state,
};

/// A query naming one job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct JobId {
    /// The job's id.
    #[cfg_attr(feature = "ssr", param(format = Uuid))]
    pub id: String,
}

/// The user's bulk change that is still running, if any (`null` when none is).
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/jobs/current", tag = "tasks",
    responses((status = 200, description = "The running job, or `null`.", body = Option<Job>), SessionErrors),
))]
#[server(prefix = "/api", endpoint = "jobs/current", input = GetUrl)]
pub async fn current_job() -> Result<Option<Job>, AppError> {
    let user = require_user().await?;
    super::store::current(&state()?.db, user.user.id).await
}

/// One of the user's bulk changes, running or finished (finished ones are kept for a day).
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/jobs/get", tag = "tasks",
    params(JobId),
    responses((status = 200, description = "The job and how far it has come.", body = Job), OwnReadErrors),
))]
#[server(prefix = "/api", endpoint = "jobs/get", input = GetUrl)]
pub async fn get_job(#[server(flatten)] input: JobId) -> Result<Job, AppError> {
    let user = require_user().await?;
    let id = crate::lists::input::parse_uuid("id", &input.id)?;
    super::store::get(&state()?.db, user.user.id, id).await?.ok_or(AppError::NotFound)
}

/// Starts a bulk change of the user's as a job (see [`super::store::start`]), answering
/// `202 Accepted` when it goes on in the background.
#[cfg(feature = "ssr")]
pub async fn start(
    user_id: uuid::Uuid,
    kind: super::JobKind,
    list_id: Option<uuid::Uuid>,
) -> Result<super::store::Started, AppError> {
    let state = state()?;
    let started = super::store::start(&state.db, &state.jobs, user_id, kind, list_id).await?;
    if started.job.is_some() {
        crate::error::respond_accepted();
    }
    Ok(started)
}
