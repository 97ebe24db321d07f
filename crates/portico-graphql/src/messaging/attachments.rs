//! Uploading an attachment (GraphQL multipart request). The upload belongs to its uploader
//! until it is sent with a message; a refused file is never stored.

use async_graphql::{Context, Object, SimpleObject, Upload};
use portico_core::{messaging::attachments, tenancy::Access};

use super::{
    objects::Attachment,
    scope::{Need, scope},
};
use crate::{
    context::ContextExt,
    user_error::{UserError, settle},
};

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
        let scope = scope(ctx, Need::Write).await?;
        let value = file.value(ctx).map_err(|_| crate::ApiError::BadUserInput {
            field: "file",
            code: "ATTACHMENT_UNREADABLE",
            message: "the upload could not be read; send it as a multipart request".to_owned(),
        })?;
        let name = value.filename.clone();
        let bytes = value.content.to_vec();
        let services = ctx.services()?;
        let store = services.attachments.as_ref();
        let stored = match attachments::store(store, ctx.tenant()?.id(), bytes).await {
            Ok(stored) => stored,
            Err(e) => {
                return Ok(UploadAttachmentPayload {
                    attachment: None,
                    user_errors: UserError::from_core(e, &scope.request_id)?,
                });
            }
        };
        let tx = ctx.tenant_tx(Access::Write).await?;
        let result = attachments::record(
            &tx,
            &scope.actor,
            scope.viewer.user_id.as_uuid(),
            &name,
            &stored,
        )
        .await;
        let settled = settle(tx, result, &scope.request_id).await;
        if !matches!(settled, Ok(Ok(_))) {
            // Not recorded, so not kept.
            if let Err(e) = store.delete(&stored.key).await {
                tracing::warn!(error = %e, "an unrecorded upload was not deleted");
            }
        }
        Ok(match settled? {
            Ok(a) => UploadAttachmentPayload {
                attachment: Some(Attachment::from(&a)),
                user_errors: vec![],
            },
            Err(user_errors) => UploadAttachmentPayload {
                attachment: None,
                user_errors,
            },
        })
    }
}
