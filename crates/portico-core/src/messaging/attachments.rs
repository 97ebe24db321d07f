//! Attachments: PDFs and images sent with a message. The type is read from the content (a
//! renamed executable is still an executable), the size is bounded, and the bytes go to the
//! attachment store under a key made of ids only. An upload belongs to its uploader until it
//! is sent with a message; from then on whoever may read the thread may download it, through
//! a short-lived signed link.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, QueryOrder, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    CoreError, CoreResult, TenantTx,
    audit::{self, Access, Actor},
    chart_access::Viewer,
    entities::{message_attachment, thread_message},
    ports::AttachmentStore,
};

/// Bytes in one attachment, at most (10 MiB).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// What may be attached, as detected from the content.
pub const ALLOWED_TYPES: [&str; 6] = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/heif",
];

fn access<'a>(action: &'a str, a: &message_attachment::Model) -> Access<'a> {
    Access {
        action,
        resource_type: "MessageAttachment",
        resource_id: Some(a.id),
        patient_id: None,
    }
}

/// The content's type, if it may be attached; else the reason, with its code.
pub fn inspect(bytes: &[u8]) -> CoreResult<&'static str> {
    if bytes.is_empty() {
        return Err(CoreError::invalid(
            "file",
            "ATTACHMENT_EMPTY",
            "the file is empty",
        ));
    }
    if bytes.len() > MAX_BYTES {
        return Err(CoreError::invalid(
            "file",
            "ATTACHMENT_TOO_LARGE",
            format!("a file is at most {} MiB", MAX_BYTES / (1024 * 1024)),
        ));
    }
    let detected = infer::get(bytes).map(|t| t.mime_type());
    let heif = matches!(detected, Some("image/heif" | "image/heic"));
    match detected {
        Some(_) if heif => Ok("image/heif"),
        Some(mime) => ALLOWED_TYPES
            .iter()
            .copied()
            .find(|allowed| *allowed == mime)
            .ok_or_else(not_allowed),
        None => Err(not_allowed()),
    }
}

fn not_allowed() -> CoreError {
    CoreError::invalid(
        "file",
        "ATTACHMENT_TYPE_NOT_ALLOWED",
        "attach a PDF or an image (PNG, JPEG, GIF, WebP, HEIF)",
    )
}

/// A file name safe to store and to offer back: its last path segment, printable, at most
/// 200 characters.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "attachment".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// The store's key: ids only, never a name a patient typed.
fn storage_key(tenant: Uuid, id: Uuid) -> String {
    format!("{tenant}/attachments/{id}")
}

/// Bytes put in the store, not yet recorded.
#[derive(Clone, Debug)]
pub struct Stored {
    pub id: Uuid,
    pub key: String,
    pub content_type: &'static str,
    pub size: i64,
    pub sha256: String,
}

/// Checks an upload and puts it in the store, outside any transaction (no lock is held
/// while bytes travel). Refused content is never written. The caller records it with
/// [`record`], and deletes it if that does not commit.
pub async fn store(
    store: &dyn AttachmentStore,
    tenant: crate::TenantId,
    bytes: Vec<u8>,
) -> CoreResult<Stored> {
    let content_type = inspect(&bytes)?;
    let id = Uuid::now_v7();
    let stored = Stored {
        id,
        key: storage_key(tenant.as_uuid(), id),
        content_type,
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        sha256: hex::encode(Sha256::digest(&bytes)),
    };
    store
        .put(&stored.key, bytes)
        .await
        .map_err(CoreError::adapter)?;
    Ok(stored)
}

/// Records a stored upload as `uploader`'s, unsent.
pub async fn record(
    tx: &TenantTx,
    actor: &Actor,
    uploader: Uuid,
    file_name: &str,
    stored: &Stored,
) -> CoreResult<message_attachment::Model> {
    let attachment = message_attachment::ActiveModel {
        tenant_id: Set(tx.tenant_id().as_uuid()),
        id: Set(stored.id),
        message_id: Set(None),
        uploaded_by: Set(uploader),
        file_name: Set(clean_name(file_name)),
        content_type: Set(stored.content_type.to_owned()),
        size_bytes: Set(stored.size),
        sha256: Set(stored.sha256.clone()),
        storage_key: Set(stored.key.clone()),
        created_at: Set(Utc::now()),
    }
    .insert(tx.conn())
    .await?;
    audit::record(tx, actor, access("attachment.upload", &attachment)).await?;
    Ok(attachment)
}

/// Sends `user`'s unsent uploads `ids` with `message`; any other id is refused.
pub async fn attach(tx: &TenantTx, user: Uuid, message_id: Uuid, ids: &[Uuid]) -> CoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found = tx
        .find::<message_attachment::Entity>()
        .filter(message_attachment::Column::Id.is_in(ids.to_vec()))
        .filter(message_attachment::Column::UploadedBy.eq(user))
        .filter(message_attachment::Column::MessageId.is_null())
        .all(tx.conn())
        .await?;
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if found.len() != unique.len() {
        return Err(CoreError::invalid(
            "attachmentIds",
            "ATTACHMENT_NOT_FOUND",
            "upload the file first; a file goes with one message",
        ));
    }
    tx.update::<message_attachment::Entity>()
        .col_expr(
            message_attachment::Column::MessageId,
            sea_orm::sea_query::Expr::value(message_id),
        )
        .filter(message_attachment::Column::Id.is_in(unique))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// The attachments of `messages`, in upload order.
pub async fn of_messages(
    tx: &TenantTx,
    messages: &[Uuid],
) -> CoreResult<Vec<message_attachment::Model>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    Ok(tx
        .find::<message_attachment::Entity>()
        .filter(message_attachment::Column::MessageId.is_in(messages.to_vec()))
        .order_by_asc(message_attachment::Column::CreatedAt)
        .all(tx.conn())
        .await?)
}

/// Uploads never sent with a message, made before `before` (at most `limit`): a purge
/// removes them from the store, then forgets them.
pub async fn unsent_before(
    tx: &TenantTx,
    before: chrono::DateTime<Utc>,
    limit: u64,
) -> CoreResult<Vec<message_attachment::Model>> {
    use sea_orm::QuerySelect;
    Ok(tx
        .find::<message_attachment::Entity>()
        .filter(message_attachment::Column::MessageId.is_null())
        .filter(message_attachment::Column::CreatedAt.lt(before))
        .order_by_asc(message_attachment::Column::CreatedAt)
        .limit(limit)
        .all(tx.conn())
        .await?)
}

/// Forgets an unsent upload whose bytes are gone from the store (a sent one is kept).
pub async fn forget_unsent(tx: &TenantTx, id: Uuid) -> CoreResult<()> {
    tx.delete::<message_attachment::Entity>()
        .filter(message_attachment::Column::Id.eq(id))
        .filter(message_attachment::Column::MessageId.is_null())
        .exec(tx.conn())
        .await?;
    Ok(())
}

pub async fn find(tx: &TenantTx, id: Uuid) -> CoreResult<message_attachment::Model> {
    tx.find::<message_attachment::Entity>()
        .filter(message_attachment::Column::Id.eq(id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)
}

/// The attachment, if `viewer` may download it now: their own unsent upload, or a file of a
/// message they may read (an internal note's for staff only). Anything else is `NotFound`.
/// Returns the chart it belongs to, for the audit.
pub async fn open_for(
    tx: &TenantTx,
    viewer: &Viewer,
    id: Uuid,
) -> CoreResult<(message_attachment::Model, Option<Uuid>, Option<Uuid>)> {
    let attachment = find(tx, id).await?;
    let Some(message_id) = attachment.message_id else {
        return if attachment.uploaded_by == viewer.user_id.as_uuid() {
            Ok((attachment, None, None))
        } else {
            Err(CoreError::NotFound)
        };
    };
    let message = tx
        .find::<thread_message::Entity>()
        .filter(thread_message::Column::Id.eq(message_id))
        .one(tx.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    let (thread, participant) = super::access::open(tx, viewer, message.thread_id).await?;
    if message.internal && !participant.side.is_staff() {
        return Err(CoreError::NotFound);
    }
    Ok((attachment, Some(thread.patient_id), participant.break_glass))
}

/// Records a download on the chart's audit trail.
pub async fn record_download(
    tx: &TenantTx,
    actor: &Actor,
    attachment: &message_attachment::Model,
    patient_id: Option<Uuid>,
) -> CoreResult<()> {
    let access = Access {
        patient_id,
        ..access("attachment.download", attachment)
    };
    audit::record(tx, actor, access).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: CoreResult<&'static str>) -> &'static str {
        r.err().map(|e| e.code()).unwrap_or("OK")
    }

    #[test]
    fn content_decides_the_type_not_the_name() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n".to_vec();
        assert_eq!(inspect(&pdf).unwrap(), "application/pdf");
        let png = [
            0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d,
        ];
        assert_eq!(inspect(&png).unwrap(), "image/png");
        // A Windows executable and an ELF binary, whatever they are called.
        let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
        exe.resize(512, 0);
        assert_eq!(code(inspect(&exe)), "ATTACHMENT_TYPE_NOT_ALLOWED");
        assert_eq!(
            code(inspect(b"\x7fELF\x02\x01\x01\x00\x00\x00")),
            "ATTACHMENT_TYPE_NOT_ALLOWED"
        );
        assert_eq!(
            code(inspect(b"just some text")),
            "ATTACHMENT_TYPE_NOT_ALLOWED"
        );
        assert_eq!(code(inspect(b"")), "ATTACHMENT_EMPTY");
        let mut big = pdf;
        big.resize(MAX_BYTES + 1, b' ');
        assert_eq!(code(inspect(&big)), "ATTACHMENT_TOO_LARGE");
    }

    #[test]
    fn names_lose_their_path_and_control_characters() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\x\\scan.pdf"), "scan.pdf");
        assert_eq!(clean_name("a\u{0}b\"c.pdf"), "abc.pdf");
        assert_eq!(clean_name(".."), "attachment");
        assert_eq!(clean_name(&"x".repeat(300)).chars().count(), 200);
    }
}
