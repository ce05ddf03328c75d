//! The restore form as it arrives, and its validation.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{error::AppError, lists::input::parse_uuid};

/// The form of `POST /api/trash/restore`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RestoreInput {
    /// `task` or `list`.
    #[cfg_attr(feature = "ssr", schema(pattern = "^(task|list)$"))]
    pub kind: String,
    /// The task's or the list's id.
    #[cfg_attr(feature = "ssr", schema(format = Uuid))]
    pub id: String,
}

/// What to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restore {
    /// A task.
    Task(Uuid),
    /// A list.
    List(Uuid),
}

impl RestoreInput {
    /// The thing to restore.
    pub fn parse(&self) -> Result<Restore, AppError> {
        let id = parse_uuid("id", &self.id);
        match (self.kind.as_str(), id) {
            ("task", Ok(id)) => Ok(Restore::Task(id)),
            ("list", Ok(id)) => Ok(Restore::List(id)),
            ("task" | "list", Err(e)) => Err(e),
            (_, id) => {
                let mut fields = crate::error::FieldErrors::new();
                fields.insert("kind".into(), "Must be one of: task, list.".into());
                if id.is_err() {
                    fields.insert("id".into(), "Not a valid id.".into());
                }
                Err(AppError::Validation(fields))
            }
        }
    }
}
