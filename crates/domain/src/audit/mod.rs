//! The audit log: every security-relevant event (sign-ins and their failures (not the refusals past the throttle), roles, limits and
//! memberships, settlements, clearing rounds applied, federation links) in an append-only,
//! hash-chained list that administrators read and `distretto audit verify` checks.
//!
//! The chain is built like the ledger's journal (`crate::ledger::journal`): each entry commits
//! to the one before, so an edited, deleted or inserted row breaks it.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The hash the first entry commits to.
pub const GENESIS: Hash = [0; 32];

/// The longest `detail` kept, in bytes; longer texts are cut on a character boundary.
pub const MAX_DETAIL_BYTES: usize = 500;

/// The most problems a verification lists (it counts them all).
pub const MAX_LISTED_PROBLEMS: usize = 100;

macro_rules! kinds {
    ($($variant:ident => $code:literal, $doc:literal;)+) => {
        /// What happened. The code is stable: it is stored, exported and is the Fluent id suffix.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AuditKind {
            $(#[doc = $doc] $variant,)+
        }

        impl AuditKind {
            /// Every kind, in display order.
            pub const ALL: &'static [AuditKind] = &[$(AuditKind::$variant),+];

            /// The stable code.
            pub const fn code(self) -> &'static str {
                match self { $(AuditKind::$variant => $code,)+ }
            }

            /// The kind of a stored code.
            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some(AuditKind::$variant),)+ _ => None }
            }
        }
    };
}

kinds! {
    SignIn => "sign_in", "A person signed in (a browser session or an API token).";
    SignInFailed => "sign_in_failed", "A sign-in was refused: wrong e-mail or password.";
    SignInSuspended => "sign_in_suspended", "A suspended person gave the right password.";
    PersonCreated => "person_created", "An operator created a person with a district role.";
    MembershipDecided => "membership_decided", "An application was decided, or a member suspended or reinstated.";
    MembershipJoined => "membership_joined", "A person joined an organisation with a role.";
    LimitsChanged => "limits_changed", "An account's credit limits changed.";
    DefaultLimitsChanged => "default_limits_changed", "The default limits of a kind of holder changed.";
    Settlement => "settlement", "An order cycle or subscription was settled in credit.";
    ClearingApplied => "clearing_applied", "A clearing round was applied.";
    FederationLink => "federation_link", "A link with another district was proposed, accepted or ended.";
    FederationClearingApplied => "federation_clearing_applied", "A clearing round between districts was applied.";
}

/// An event to append: the store gives it its place (`seq`) and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// What happened.
    pub kind: AuditKind,
    /// The person who did it, when known (a failed sign-in has none).
    pub actor: Option<Uuid>,
    /// What it happened to, as `type:id` (e.g. `account:…`, `email:…`).
    pub subject: String,
    /// A short description: codes and figures, no secrets.
    pub detail: String,
    /// The client address of the request, when it came over HTTP.
    pub client: Option<String>,
    /// When it happened (microsecond precision, as stored).
    pub at: OffsetDateTime,
}

impl AuditEvent {
    /// An event now-ish at `at`, with `detail` cut to [`MAX_DETAIL_BYTES`].
    pub fn new(
        kind: AuditKind,
        actor: Option<Uuid>,
        subject: impl Into<String>,
        detail: impl Into<String>,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            kind,
            actor,
            subject: cut(subject.into()),
            detail: cut(detail.into()),
            client: None,
            at,
        }
    }

    /// The same event, from `client`.
    pub fn from_client(mut self, client: Option<&str>) -> Self {
        self.client = client.map(|c| cut(c.to_owned()));
        self
    }
}

/// Cuts `text` to at most [`MAX_DETAIL_BYTES`] bytes on a character boundary.
fn cut(mut text: String) -> String {
    if text.len() > MAX_DETAIL_BYTES {
        let mut end = MAX_DETAIL_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the log, from 1, without gaps.
    pub seq: i64,
    /// The event.
    pub event: AuditEvent,
    /// The hash of this entry chained to the previous one.
    pub hash: Hash,
}

/// The hash of entry `seq` holding `e`, chained to `prev`. Every field has a fixed width or a
/// length prefix, so no two different entries share an encoding.
pub fn entry_hash(prev: &Hash, seq: i64, e: &AuditEvent) -> Hash {
    let mut h = Sha256::new();
    h.update(b"distretto-audit-v1");
    h.update(prev);
    h.update(seq.to_be_bytes());
    put_str(&mut h, e.kind.code());
    put_opt_uuid(&mut h, e.actor);
    put_str(&mut h, &e.subject);
    put_str(&mut h, &e.detail);
    match &e.client {
        Some(c) => {
            h.update([1]);
            put_str(&mut h, c);
        }
        None => h.update([0]),
    }
    let micros = e.at.unix_timestamp_nanos() / 1000;
    h.update(micros.to_be_bytes());
    h.finalize().into()
}

fn put_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

fn put_opt_uuid(h: &mut Sha256, id: Option<Uuid>) {
    match id {
        Some(id) => {
            h.update([1]);
            h.update(id.as_bytes());
        }
        None => h.update([0]),
    }
}

/// What `audit verify` found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditProblem {
    /// An entry's sequence number is not the previous one plus one (a row was deleted or added).
    SequenceGap { expected: i64, found: i64 },
    /// An entry's stored hash is not the hash of its contents chained to the one before (it, or
    /// one before it, was edited).
    HashMismatch { seq: i64 },
    /// A stored kind is unknown to this version.
    UnknownKind { seq: i64 },
    /// The log's recorded head (last sequence and hash) is not its last entry.
    HeadMismatch { recorded_seq: i64, found_seq: i64 },
}

impl std::fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SequenceGap { expected, found } => {
                write!(f, "audit log gap: expected entry {expected}, found {found}")
            }
            Self::HashMismatch { seq } => {
                write!(f, "audit entry {seq} was altered (hash mismatch)")
            }
            Self::UnknownKind { seq } => write!(f, "audit entry {seq} has an unknown kind"),
            Self::HeadMismatch {
                recorded_seq,
                found_seq,
            } => write!(
                f,
                "audit log head records entry {recorded_seq} but the last entry is {found_seq}"
            ),
        }
    }
}

/// The running check over entries read in order, so millions of entries need no memory.
#[derive(Debug, Clone)]
pub struct AuditVerifier {
    prev_seq: i64,
    prev_hash: Hash,
    /// Entries checked.
    pub entries: u64,
    /// Problems found, at most [`MAX_LISTED_PROBLEMS`].
    pub problems: Vec<AuditProblem>,
    /// Every problem found.
    pub problem_count: u64,
}

impl Default for AuditVerifier {
    fn default() -> Self {
        Self {
            prev_seq: 0,
            prev_hash: GENESIS,
            entries: 0,
            problems: Vec::new(),
            problem_count: 0,
        }
    }
}

impl AuditVerifier {
    /// Checks the next entry in sequence order.
    pub fn push(&mut self, entry: &AuditEntry) {
        self.entries += 1;
        if entry.seq != self.prev_seq + 1 {
            self.problem(AuditProblem::SequenceGap {
                expected: self.prev_seq + 1,
                found: entry.seq,
            });
        }
        if entry_hash(&self.prev_hash, entry.seq, &entry.event) != entry.hash {
            self.problem(AuditProblem::HashMismatch { seq: entry.seq });
        }
        self.prev_seq = entry.seq;
        self.prev_hash = entry.hash;
    }

    /// Records a stored kind this version cannot read.
    pub fn unknown_kind(&mut self, seq: i64) {
        self.problem(AuditProblem::UnknownKind { seq });
    }

    /// Ends the check against the recorded head.
    pub fn finish(mut self, head_seq: i64, head_hash: &Hash) -> Self {
        if head_seq != self.prev_seq || (head_seq > 0 && head_hash != &self.prev_hash) {
            self.problem(AuditProblem::HeadMismatch {
                recorded_seq: head_seq,
                found_seq: self.prev_seq,
            });
        }
        self
    }

    /// Whether the log is intact.
    pub fn is_intact(&self) -> bool {
        self.problem_count == 0
    }

    fn problem(&mut self, p: AuditProblem) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push(p);
        }
    }
}

/// Chains `events` after (`seq`, `hash`): the entries to store.
pub fn chain(mut seq: i64, mut hash: Hash, events: Vec<AuditEvent>) -> Vec<AuditEntry> {
    events
        .into_iter()
        .map(|event| {
            seq += 1;
            hash = entry_hash(&hash, seq, &event);
            AuditEntry { seq, event, hash }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn event(i: u32) -> AuditEvent {
        AuditEvent::new(
            AuditKind::ALL[i as usize % AuditKind::ALL.len()],
            i.is_multiple_of(2).then(|| Uuid::from_u128(u128::from(i))),
            format!("account:{i}"),
            format!("detail {i}"),
            datetime!(2026-11-30 10:00:00 UTC) + time::Duration::seconds(i64::from(i)),
        )
    }

    fn verified(entries: &[AuditEntry]) -> AuditVerifier {
        let mut v = AuditVerifier::default();
        for e in entries {
            v.push(e);
        }
        let (seq, hash) = entries.last().map_or((0, GENESIS), |e| (e.seq, e.hash));
        v.finish(seq, &hash)
    }

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in AuditKind::ALL {
            assert_eq!(AuditKind::parse(k.code()), Some(*k));
            assert!(seen.insert(k.code()));
        }
        assert_eq!(AuditKind::parse("nope"), None);
    }

    #[test]
    fn an_intact_chain_verifies_and_an_empty_one_too() {
        let entries = chain(0, GENESIS, (0..20).map(event).collect());
        assert!(verified(&entries).is_intact());
        assert_eq!(verified(&entries).entries, 20);
        assert!(verified(&[]).is_intact());
    }

    #[test]
    fn an_edited_entry_is_caught() {
        let mut entries = chain(0, GENESIS, (0..5).map(event).collect());
        entries[2].event.detail = "limits: -100 → -100000".into();
        let v = verified(&entries);
        assert_eq!(v.problems, vec![AuditProblem::HashMismatch { seq: 3 }]);
    }

    #[test]
    fn a_deleted_entry_is_caught() {
        let mut entries = chain(0, GENESIS, (0..5).map(event).collect());
        entries.remove(1);
        let v = verified(&entries);
        assert!(v.problems.contains(&AuditProblem::SequenceGap {
            expected: 2,
            found: 3
        }));
        assert!(v.problems.contains(&AuditProblem::HashMismatch { seq: 3 }));
    }

    #[test]
    fn a_truncated_tail_is_caught_by_the_head() {
        let entries = chain(0, GENESIS, (0..5).map(event).collect());
        let mut v = AuditVerifier::default();
        for e in &entries[..4] {
            v.push(e);
        }
        let v = v.finish(5, &entries[4].hash);
        assert_eq!(
            v.problems,
            vec![AuditProblem::HeadMismatch {
                recorded_seq: 5,
                found_seq: 4
            }]
        );
    }

    #[test]
    fn long_details_are_cut_on_a_character_boundary() {
        let e = AuditEvent::new(
            AuditKind::SignInFailed,
            None,
            "email:x",
            "é".repeat(400),
            datetime!(2026-11-30 10:00:00 UTC),
        );
        assert!(e.detail.len() <= MAX_DETAIL_BYTES);
        assert_eq!(e.detail.chars().count(), MAX_DETAIL_BYTES / 2);
    }

    proptest! {
        #[test]
        fn chaining_in_two_appends_equals_chaining_at_once(n in 0u32..30, split in 0u32..30) {
            let split = split.min(n);
            let all = chain(0, GENESIS, (0..n).map(event).collect());
            let first = chain(0, GENESIS, (0..split).map(event).collect());
            let (seq, hash) = first.last().map_or((0, GENESIS), |e| (e.seq, e.hash));
            let rest = chain(seq, hash, (split..n).map(event).collect());
            let joined: Vec<_> = first.into_iter().chain(rest).collect();
            prop_assert_eq!(&joined, &all);
            prop_assert!(verified(&all).is_intact());
        }

        #[test]
        fn any_single_field_change_breaks_the_chain(n in 1u32..15, at in 0u32..15, field in 0u8..5) {
            let mut entries = chain(0, GENESIS, (0..n).map(event).collect());
            let i = (at % n) as usize;
            let e = &mut entries[i].event;
            match field {
                0 => e.subject.push('x'),
                1 => e.detail.push('x'),
                2 => e.actor = Some(Uuid::from_u128(u128::MAX)),
                3 => e.at += time::Duration::microseconds(1),
                _ => e.client = Some("10.0.0.1".into()),
            }
            prop_assert!(!verified(&entries).is_intact());
        }
    }
}
