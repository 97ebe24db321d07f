//! Uploading an attachment (GraphQL multipart request). The upload belongs to its uploader
//! until it is sent with a message; a refused file is never stored.

use async_graphql::{Context, Object, SimpleObject, Upload};
use portico_core::{CoreError, messaging::attachments, tenancy::Access};

use super::{objects::Attachment, scope::WRITE};
use crate::{ApiError, context::ContextExt, run::Run, user_error::UserError};

/// Where signed download links point: `{DOWNLOAD_PATH}/{tenant}/{attachment}?token=`.
pub const DOWNLOAD_PATH: &str = "/files";

#[derive(SimpleObject)]
pub struct UploadAttachmentPayload {
    attachment: Option<Attachment>,
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct AttachmentsMutation;

#[Object]
impl AttachmentsMutation {
    /// Uploads a PDF or image (at most 10 MiB) to send with a message: pass its id in
    /// `attachmentIds`. The type is detected from the content.
    async fn upload_attachment(
        &self,
        ctx: &Context<'_>,
        file: Upload,
    ) -> async_graphql::Result<UploadAttachmentPayload> {
        // The file is stored only for a caller who may write, before the transaction that
        // records it opens (an upload can take a while).
        let caller = ctx.caller(WRITE).await?;
        let value = file.value(ctx).map_err(|_| ApiError::BadUserInput {
            field: "file",
            code: "ATTACHMENT_UNREADABLE",
            message: "the upload could not be read; send it as a multipart request".to_owned(),
        })?;
        let name = value.filename.clone();
        let bytes = value.content.to_vec();
        let store = ctx.services()?.attachments.as_ref();
        let stored = match attachments::store(store, ctx.tenant()?.id(), bytes).await {
            Ok(stored) => stored,
            Err(e) => return Ok(refused(refusal(ctx, e)?)),
        };
        let uploader = caller.principal.user_id.as_uuid();
        let recorded = ctx
            .within(Access::Write, async |tx| {
                attachments::record(tx, &caller.actor, uploader, &name, &stored).await
            })
            .await;
        if !matches!(recorded, Ok(Ok(_))) {
            // Not recorded, so not kept.
            if let Err(e) = store.delete(&stored.key).await {
                tracing::warn!(error = %e, "an unrecorded upload was not deleted");
            }
        }
        Ok(match recorded? {
            Ok(a) => UploadAttachmentPayload {
                attachment: Some(Attachment::from(&a)),
                user_errors: vec![],
            },
            Err(e) => refused(refusal(ctx, e)?),
        })
    }
}

fn refused(user_errors: Vec<UserError>) -> UploadAttachmentPayload {
    UploadAttachmentPayload {
        attachment: None,
        user_errors,
    }
}

/// A refused file's problems as `userErrors`; any other failure is a GraphQL error. The
/// runner's `mutate` does this for work it runs; this upload is checked and stored before
/// its transaction opens.
fn refusal(ctx: &Context<'_>, err: CoreError) -> Result<Vec<UserError>, ApiError> {
    UserError::of_input(err).map_err(|other| ctx.fail(other))
}
