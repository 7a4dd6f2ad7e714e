//! Phase 2: support tickets, and storage files with the quotas that count them.
//!
//! The quota triggers are off while quotas and files are copied; each quota row is written
//! with the exact size and number of its user's files, drawn from the same stream as the files.

use rand::Rng;

use super::copy::{Rows, Table};
use super::core::tier;
use super::data::{self, Kind, id, rng};
use super::ids::user_id;

pub const TABLES: &[&str] = &["support_tickets", "storage_quotas", "storage_files"];

const CATEGORIES: &[&str] = &["BUG", "FEATURE", "QUESTION", "ACCOUNT", "BILLING"];
const PRIORITIES: &[&str] = &["LOW", "MEDIUM", "MEDIUM", "HIGH", "URGENT"];
const STATUSES: &[&str] = &[
    "OPEN",
    "OPEN",
    "IN_PROGRESS",
    "WAITING_USER",
    "RESOLVED",
    "CLOSED",
];
const MIME: &[(&str, &str)] = &[
    ("application/pdf", "pdf"),
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("text/plain", "txt"),
    ("text/csv", "csv"),
];

pub const TICKETS: Table<'static> = Table {
    name: "public.support_tickets",
    columns: &[
        "id",
        "userId",
        "category",
        "priority",
        "status",
        "subject",
        "description",
        "createdAt",
        "updatedAt",
    ],
    without_triggers: false,
    units: 0,
};

/// Most users have no ticket; some have one or two.
pub fn ticket_rows(u: u64, rows: &mut Rows) {
    let mut r = rng(Kind::Ticket, u, 0);
    let n = [0, 0, 0, 1, 1, 2][r.random_range(0..6)];
    for t in 0..n {
        let at = data::any_time(&mut r);
        let subject = data::sentence(&mut r, 6);
        let description = data::sentence(&mut r, 40);
        rows.uuid(id(Kind::Ticket, u, t, 0))
            .uuid(user_id(u))
            .val(CATEGORIES[r.random_range(0..CATEGORIES.len())])
            .val(PRIORITIES[r.random_range(0..PRIORITIES.len())])
            .val(STATUSES[r.random_range(0..STATUSES.len())])
            .text(&subject)
            .text(&description)
            .ts(at)
            .ts(at);
        rows.end();
    }
}

/// One stored file: its size and type.
pub struct File {
    pub size: u64,
    pub mime: usize,
    pub at: chrono::NaiveDateTime,
}

/// The files of `user`: up to 20, sizes long-tailed from 1 kB to 50 MB.
pub fn files(user: u64) -> Vec<File> {
    let mut r = rng(Kind::File, user, 0);
    let n = r.random_range(0..=20);
    (0..n)
        .map(|_| File {
            size: data::long_tail(&mut r, 1_000, 100_000.0, 50_000_000),
            mime: r.random_range(0..MIME.len()),
            at: data::any_time(&mut r),
        })
        .collect()
}

pub const QUOTAS: Table<'static> = Table {
    name: "public.storage_quotas",
    columns: &[
        "id",
        "userId",
        "maxStorage",
        "usedStorage",
        "maxFileSize",
        "maxFiles",
        "fileCount",
        "subscriptionTier",
        "createdAt",
        "updatedAt",
    ],
    without_triggers: true,
    units: 0,
};

pub fn quota_rows(u: u64, rows: &mut Rows) {
    let files = files(u);
    let max_gb: u64 = match tier(u) {
        "FREE" => 1,
        "BASIC" => 10,
        "PRO" => 100,
        _ => 1_000,
    };
    rows.uuid(id(Kind::Quota, u, 0, 0))
        .uuid(user_id(u))
        .val(max_gb << 30)
        .val(files.iter().map(|f| f.size).sum::<u64>())
        .val(100u64 << 20)
        .val(10_000)
        .val(files.len())
        .val(tier(u))
        .ts(data::epoch())
        .ts(data::epoch());
    rows.end();
}

pub const FILES: Table<'static> = Table {
    name: "public.storage_files",
    columns: &[
        "id",
        "userId",
        "name",
        "mimeType",
        "size",
        "storageKey",
        "createdAt",
        "updatedAt",
    ],
    without_triggers: true,
    units: 0,
};

pub fn file_rows(u: u64, rows: &mut Rows) {
    for (i, f) in files(u).iter().enumerate() {
        let (mime, ext) = MIME[f.mime];
        rows.uuid(id(Kind::File, u, 0, i as u64))
            .uuid(user_id(u))
            .val(format_args!("file-{i}.{ext}"))
            .val(mime)
            .val(f.size)
            .val(format_args!("load/{u}/{i}.{ext}"))
            .ts(f.at)
            .ts(f.at);
        rows.end();
    }
}
