// Photos and PDFs sent with a message: each file uploads as soon as it is chosen, with a
// progress bar, and can be removed before sending. A file the practice cannot take says why,
// in the patient's language, and stays listed until removed, so nothing silently disappears.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiFailure } from "@portico/client";
import { usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { ACCEPT, MAX_FILES, refusedBeforeSending, uploadAttachment, UploadFailure, type Uploaded } from "./upload";

export type Item =
  | { key: string; name: string; size: number; state: "uploading"; progress: number; abort: () => void }
  | { key: string; name: string; size: number; state: "done"; attachment: Uploaded }
  | { key: string; name: string; size: number; state: "refused"; code: string; requestId?: string };

let counter = 0;

/** The files of one message being written. Kept by the caller across failures to send. */
export function useAttachments(initial: Item[] = []) {
  const { session } = usePortal();
  const [items, setItems] = useState<Item[]>(initial);
  const [announcement, setAnnouncement] = useState("");
  const t = useT();
  const live = useRef(true);
  const count = useRef(initial.length);
  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  const update = useCallback((key: string, next: (item: Item) => Item) => {
    if (live.current) setItems((all) => all.map((i) => (i.key === key ? next(i) : i)));
  }, []);

  const add = useCallback(
    (files: File[]) => {
      for (const file of files) {
        const key = `f${++counter}`;
        const base = { key, name: file.name, size: file.size };
        const early = count.current >= MAX_FILES ? "TOO_MANY_ATTACHMENTS" : refusedBeforeSending(file);
        if (early) {
          setItems((all) => [...all, { ...base, state: "refused", code: early }]);
          continue;
        }
        count.current += 1;
        const handle = uploadAttachment(session, file, (fraction) =>
          update(key, (i) => (i.state === "uploading" ? { ...i, progress: Math.round(fraction * 100) } : i)),
        );
        setItems((all) => [...all, { ...base, state: "uploading", progress: 0, abort: handle.abort }]);
        handle.done.then(
          (attachment) => {
            update(key, () => ({ ...base, state: "done", attachment }));
            if (live.current) setAnnouncement(t("messages.files.attached", { name: file.name }));
          },
          (error: unknown) => {
            if (error instanceof UploadFailure && error.code === "ABORTED") return;
            count.current -= 1;
            const code = error instanceof UploadFailure ? error.code : "INTERNAL";
            update(key, () => ({ ...base, state: "refused", code, requestId: error instanceof UploadFailure ? error.requestId : undefined }));
          },
        );
      }
    },
    [session, update, t],
  );

  const current = useRef(items);
  current.current = items;
  const remove = useCallback((key: string) => {
    const item = current.current.find((i) => i.key === key);
    if (!item) return;
    if (item.state === "uploading") item.abort();
    if (item.state !== "refused") count.current -= 1;
    setItems((all) => all.filter((i) => i.key !== key));
  }, []);

  const clear = useCallback(() => {
    count.current = 0;
    setItems([]);
  }, []);

  const ids = items.flatMap((i) => (i.state === "done" ? [i.attachment.id] : []));
  const uploading = items.some((i) => i.state === "uploading");
  const refused = items.some((i) => i.state === "refused");
  return { items, add, remove, clear, ids, uploading, refused, announcement };
}

export type Attachments = ReturnType<typeof useAttachments>;

/** The file chooser and the list of chosen files. `error` is the form's sentence for them. */
export function AttachmentPicker({ id, files, error }: { id: string; files: Attachments; error?: string }) {
  const t = useT();
  const describe = useProblem();
  const size = useFileSize();
  const describedBy = [`${id}-hint`, error ? `${id}-error` : null].filter(Boolean).join(" ");
  return (
    <div className={`field attachments${error ? " field-error" : ""}`}>
      <span className="field-label" id={`${id}-label`}>
        {t("messages.files.label")}
      </span>
      <p className="hint" id={`${id}-hint`}>
        {t("messages.files.hint", { count: MAX_FILES })}
      </p>
      {error && (
        <p className="error-message" id={`${id}-error`}>
          {error}
        </p>
      )}
      {/* The browser's own file button speaks the browser's language, not the patient's: it is
          hidden (still focusable) behind a label that looks like a button. */}
      <input
        id={id}
        type="file"
        className="file-input visually-hidden"
        multiple
        accept={ACCEPT}
        aria-labelledby={`${id}-label`}
        aria-describedby={describedBy}
        aria-invalid={Boolean(error)}
        onChange={(e) => {
          const chosen = Array.from(e.target.files ?? []);
          // Cleared, so that the same file can be chosen again after removing it.
          e.target.value = "";
          files.add(chosen);
        }}
      />
      <label htmlFor={id} className="button secondary file-choose" aria-hidden="true">
        {files.items.length ? t("messages.files.chooseMore") : t("messages.files.choose")}
      </label>
      {files.items.length > 0 && (
        <ul className="file-list" aria-label={t("messages.files.listLabel")}>
          {files.items.map((item) => (
            <li key={item.key} className={`file-item file-${item.state}`}>
              <div className="file-text">
                <span className="file-name">{item.name}</span>
                {item.state === "uploading" && (
                  <>
                    <label className="file-status" htmlFor={`${item.key}-progress`}>
                      {t("messages.files.uploading", { percent: item.progress })}
                    </label>
                    <progress id={`${item.key}-progress`} max={100} value={item.progress}>
                      {item.progress}%
                    </progress>
                  </>
                )}
                {item.state === "done" && <span className="file-status">{t("messages.files.done", { size: size(item.size) })}</span>}
                {item.state === "refused" && (
                  <span className="file-status file-refused-text" role="alert">
                    <span aria-hidden="true">✕ </span>
                    {t("messages.files.notAttached")} {describe(new ApiFailure(item.code, item.requestId)).sentence}
                  </span>
                )}
              </div>
              <button type="button" className="button secondary file-remove" onClick={() => files.remove(item.key)}>
                {t("messages.files.remove")}
                <span className="visually-hidden"> {item.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <p className="visually-hidden" role="status">
        {files.announcement}
      </p>
    </div>
  );
}

/** "12 KB", "1.4 MB" in the patient's language. */
export function useFileSize() {
  const t = useT();
  const f = useFormat();
  return (bytes: number) =>
    bytes >= 1024 * 1024
      ? t("messages.size.mb", { size: f.number(bytes / (1024 * 1024), 1) })
      : t("messages.size.kb", { size: f.number(Math.max(1, Math.round(bytes / 1024)), 0) });
}
