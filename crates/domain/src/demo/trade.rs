//! A year of trade in the demo district: households paying farms, purchasing groups and
//! cooperatives, organisations paying each other and their workers, invoices with their whole
//! history, payment requests, membership fees and the district fund's grants.
//!
//! Everything is planned first, from per-account random streams keyed by the seed, then replayed
//! in time order through the ledger's own [`Book`]: every account starts at zero with its default
//! limits, amounts that depend on a balance (a purchasing group passing its members' money on to
//! its farms, a wage an organisation can afford) are settled when the transfer is posted, and a
//! transfer the book refuses is simply left out. Invoices change through the domain's
//! [`transition`] rules, so a demo invoice can only be in a state the platform could have put
//! it in. The journal is chained from [`GENESIS_HASH`] with the balances after every entry, so
//! the store writes it as it comes and `ledger verify` holds.
//!
//! The trade stays bounded whatever the scale: it runs among the first
//! [`MAX_TRADE_ORGANIZATIONS`] organisations and the first [`MAX_TRADE_PEOPLE`] people (and the
//! coordinator and the district's two accounts). At district scale that is everyone (about
//! 42,000 transfers, 500 invoices, 440 payment requests); at region and national scale it is the
//! same bounded community of about 2,500 accounts (about 90,000 transfers), so the trade adds a
//! few seconds to those loads however many people they hold. Everyone else's account stays at
//! zero.
use super::places::{Lang, TOWNS, Town};
use super::{
    BASE_DATE, DAY, DemoAccount, DemoBatch, DemoOwner, DemoSpec, DistrictPurpose, Generator, HOUR,
    START, Stream, org_french, pick, stream_id, stream_rng,
};
use crate::directory::OrganizationKind as K;
use crate::ledger::invoice::transition;
use crate::ledger::{
    AccountState, Book, Currency, GENESIS_HASH, Hash, InvoiceAction, InvoiceAmounts, InvoiceSide,
    InvoiceStatus, JournalEntry, Leg, Limits, TransferKind, default_limits, entry_hash, parse_memo,
};
use crate::membership::MembershipStatus;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

pub mod purchasing;

/// The most organisations that trade: at district scale all 160 do; larger scales trade among
/// their first 500 (their loads measure the directory and membership at size, and a year of
/// payments of everyone would add minutes of journal writes to them).
pub const MAX_TRADE_ORGANIZATIONS: u32 = 500;
/// The most people (`person-1` …) that trade: all 1,000 at district scale, the first 2,000 at
/// larger scales (about 90,000 transfers, a few seconds to write).
pub const MAX_TRADE_PEOPLE: u32 = 2_000;

/// One journal entry of the demo trade with its place in the hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTransfer {
    /// The entry, with the balances after it.
    pub entry: JournalEntry,
    /// The hash of the entry before ([`GENESIS_HASH`] for the first).
    pub prev_hash: Hash,
    /// This entry's hash, [`entry_hash`]`(prev_hash, entry)`.
    pub hash: Hash,
}

/// An invoice between two organisations, as it stands at the end of the demo year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoInvoice {
    /// Deterministic id.
    pub id: Uuid,
    /// The creditor's own number (`2026/014`, `FA-2026-0014`).
    pub number: String,
    /// The creditor's account.
    pub creditor: Uuid,
    /// The debtor's account.
    pub debtor: Uuid,
    /// `EUR` or the district currency code.
    pub currency: String,
    /// The amount invoiced, in minor units.
    pub amount_minor: i64,
    /// Paid so far (by transfer, or recorded by the creditor for euro invoices). Nothing is set
    /// off: clearing rounds are the coordinators' to run.
    pub paid_minor: i64,
    /// What was delivered, in the creditor's language.
    pub description: String,
    /// Its status.
    pub status: InvoiceStatus,
    /// When it falls due (some lie in the past: overdue).
    pub due_on: Date,
    /// The debtor's reason, if it was ever disputed.
    pub dispute_reason: Option<String>,
    /// The creditor's founder, who issued it.
    pub created_by: Uuid,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// Its last change.
    pub updated_at: OffsetDateTime,
}

/// One step of an invoice's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoInvoiceEvent {
    /// Deterministic id.
    pub id: Uuid,
    /// The invoice.
    pub invoice_id: Uuid,
    /// `issued`, `accepted`, `disputed`, `cancelled`, `paid_transfer` or `paid_recorded`.
    pub action: &'static str,
    /// The amount invoiced or paid, for those steps.
    pub amount_minor: Option<i64>,
    /// The transfer of a `paid_transfer` step.
    pub transfer_id: Option<Uuid>,
    /// The dispute reason or the creditor's note on a recorded payment; empty otherwise.
    pub note: String,
    /// Who took the step.
    pub actor: Uuid,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A payment request, as it stands at the end of the demo year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRequest {
    /// Deterministic id.
    pub id: Uuid,
    /// Who asks to be paid.
    pub payee: Uuid,
    /// Who is asked; none for a request anyone may pay (a stall's QR code) that is still open.
    pub payer: Option<Uuid>,
    /// How much, in minor units.
    pub amount_minor: i64,
    /// What for, in the payee's language.
    pub memo: String,
    /// `open`, `paid`, `declined` or `cancelled`.
    pub status: &'static str,
    /// The transfer that paid it.
    pub transfer_id: Option<Uuid>,
    /// The payee's owner or founder.
    pub created_by: Uuid,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it was paid, declined or cancelled.
    pub decided_at: Option<OffsetDateTime>,
}

/// A year of trade of a demo district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTrade {
    /// The journal, in sequence order from 1.
    pub transfers: Vec<DemoTransfer>,
    /// The final balance of every account that traded (every other stays at 0), by account id.
    pub balances: Vec<(Uuid, i64)>,
    /// The last sequence number (0 without transfers).
    pub head_seq: i64,
    /// The last entry's hash ([`GENESIS_HASH`] without transfers).
    pub head_hash: Hash,
    /// Invoices between organisations.
    pub invoices: Vec<DemoInvoice>,
    /// Their histories, in time order.
    pub invoice_events: Vec<DemoInvoiceEvent>,
    /// Payment requests.
    pub requests: Vec<DemoRequest>,
    /// Solidarity purchasing: catalogues, pickup points, order cycles with their orders and
    /// settlements, seasonal subscriptions.
    pub purchasing: purchasing::DemoPurchasing,
}

impl DemoSpec {
    /// Organisations `0..n` trade.
    pub fn trade_organizations(&self) -> u32 {
        self.organization_count().min(MAX_TRADE_ORGANIZATIONS)
    }

    /// People `person-1` … `person-n` trade (and the coordinator).
    pub fn trade_people(&self) -> u32 {
        self.person_count().min(MAX_TRADE_PEOPLE)
    }

    /// The year of trade of this district, in `currency` (whose decimals scale the amounts).
    pub fn trade(&self, currency: &Currency) -> DemoTrade {
        let world = World::new(*self, currency);
        let mut plan = Plan::new(&world, currency.unit_minor());
        plan.currency.clone_from(&currency.code);
        plan.people();
        plan.organizations();
        plan.district();
        plan.purchasing();
        Ledger::new(&world, currency).run(plan)
    }
}

const START_S: i64 = START.unix_timestamp();
/// Nothing happens in the last hour before the demo's "now".
const END_S: i64 = BASE_DATE.unix_timestamp() - HOUR;
const WEEK: i64 = 7 * DAY;
/// Weeks in the demo year (the last one cut short by [`END_S`]).
const WEEKS: i64 = 53;
/// "Months" of the demo year: 30-day periods from its first day.
const MONTHS: i64 = 13;

fn instant(s: i64) -> OffsetDateTime {
    START + Duration::seconds(s - START_S)
}

/// A moment of opening hours on day `day` (unix seconds of its midnight).
fn daytime(rng: &mut impl Rng, day: i64) -> i64 {
    day + rng.random_range(7 * HOUR..21 * HOUR)
}

/// A moment of opening hours on one of `days` after `start`.
fn moment(rng: &mut impl Rng, start: i64, days: std::ops::Range<i64>) -> i64 {
    let day = start + rng.random_range(days) * DAY;
    daytime(rng, day)
}

/// Whose account it is, as the trade sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Person,
    Org(K),
    Fund,
    Fees,
}

/// A trading account.
#[derive(Debug, Clone)]
struct Party {
    account: Uuid,
    /// Who acts for it: the owner, the organisation's founder, the coordinator.
    actor: Uuid,
    role: Role,
    /// Open from (admission) until (suspension or the end of the year), unix seconds.
    from: i64,
    until: i64,
    french: bool,
    town: &'static str,
    limits: Limits,
    /// The organisation's index in the generator, for organisations.
    org: Option<u32>,
}

/// Every trading account and who belongs where.
struct World {
    spec: DemoSpec,
    parties: Vec<Party>,
    people: Vec<usize>,
    /// Organisations by kind (index: declaration order of [`K`]).
    by_kind: [Vec<usize>; 10],
    /// Organisations by town.
    by_town: HashMap<&'static str, Vec<usize>>,
    /// A person's organisations; an organisation's people.
    links: Vec<Vec<usize>>,
    fund: Option<usize>,
    fees: Option<usize>,
    coordinator: Uuid,
}

impl World {
    fn new(spec: DemoSpec, currency: &Currency) -> Self {
        let g = Generator::new(spec);
        let unit = currency.unit_minor();
        let mut w = World {
            spec,
            parties: Vec::new(),
            people: Vec::new(),
            by_kind: Default::default(),
            by_town: HashMap::new(),
            links: Vec::new(),
            fund: None,
            fees: None,
            coordinator: spec.coordinator_id(),
        };
        let end = END_S + HOUR;
        let towns: HashMap<&str, &'static Town> = TOWNS.iter().map(|t| (t.name, t)).collect();

        // The coordinator and the district's accounts.
        let foundation = g.foundation();
        for a in &foundation.accounts {
            let role = match a.owner {
                DemoOwner::District(DistrictPurpose::Fund) => Role::Fund,
                DemoOwner::District(DistrictPurpose::Fees) => Role::Fees,
                _ => Role::Person,
            };
            let i = w.push(Party {
                account: a.id,
                actor: w.coordinator,
                role,
                from: a.created_at.unix_timestamp().max(START_S),
                until: end,
                french: false,
                town: TOWNS[0].name,
                limits: default_limits(a.limit_holder, unit),
                org: None,
            });
            match role {
                Role::Fund => w.fund = Some(i),
                Role::Fees => w.fees = Some(i),
                _ => w.people.push(i),
            }
        }

        // Organisations: kind, town and language from the generator's own streams.
        let mut org_party: HashMap<Uuid, usize> = HashMap::new();
        for o in 0..spec.trade_organizations() {
            let sk = g.org_skeleton(o);
            let (Some(admitted), Some(account)) = (sk.admitted_at, g.org_account(&sk)) else {
                continue;
            };
            let french = org_french(
                sk.town,
                &mut stream_rng(spec.seed, Stream::OrgDetail, u64::from(o)),
            );
            let i = w.push(Party {
                account: account.id,
                actor: spec.founder_id(o),
                role: Role::Org(sk.kind),
                from: admitted.unix_timestamp().max(START_S),
                until: sk.suspended_at.map_or(end, OffsetDateTime::unix_timestamp),
                french,
                town: sk.town.name,
                limits: default_limits(account.limit_holder, unit),
                org: Some(o),
            });
            w.by_kind[sk.kind as usize].push(i);
            w.by_town.entry(sk.town.name).or_default().push(i);
            org_party.insert(spec.organization_id(o), i);
        }

        // People, generated as the demo generates them (memberships and all).
        let mut batch = DemoBatch::default();
        for n in 1..=spec.trade_people() {
            g.person(n, &mut batch);
        }
        let accounts: HashMap<Uuid, &DemoAccount> = batch
            .accounts
            .iter()
            .filter_map(|a| a.owner.id().map(|id| (id, a)))
            .collect();
        let mut person_party: HashMap<Uuid, usize> = HashMap::new();
        for p in &batch.people {
            if p.membership_status == MembershipStatus::Pending {
                continue;
            }
            let Some(account) = accounts.get(&p.id) else {
                continue;
            };
            let town = towns.get(p.locality.as_str()).copied().unwrap_or(&TOWNS[0]);
            let french = match p.locale {
                Some("fr") => true,
                Some("it") => false,
                _ => town.lang == Lang::Fr,
            };
            let until = if p.membership_status == MembershipStatus::Suspended {
                p.updated_at.unix_timestamp()
            } else {
                end
            };
            let i = w.push(Party {
                account: account.id,
                actor: p.id,
                role: Role::Person,
                from: account.created_at.unix_timestamp().max(START_S),
                until,
                french,
                town: town.name,
                limits: default_limits(account.limit_holder, unit),
                org: None,
            });
            w.people.push(i);
            person_party.insert(p.id, i);
        }
        for m in &batch.memberships {
            if let (Some(&p), Some(&o)) = (
                person_party.get(&m.person_id),
                org_party.get(&m.organization_id),
            ) {
                w.links[p].push(o);
                w.links[o].push(p);
            }
        }
        w
    }

    fn push(&mut self, p: Party) -> usize {
        self.parties.push(p);
        self.links.push(Vec::new());
        self.parties.len() - 1
    }

    fn open(&self, p: usize, t: i64) -> bool {
        self.parties
            .get(p)
            .is_some_and(|p| p.from <= t && t < p.until && t < END_S)
    }

    fn kind(&self, p: usize) -> Option<K> {
        match self.parties.get(p).map(|p| p.role) {
            Some(Role::Org(k)) => Some(k),
            _ => None,
        }
    }

    /// An organisation of one of `kinds` other than `not`, preferably in `town`. Bounded tries.
    fn org_of(
        &self,
        rng: &mut impl Rng,
        kinds: &[K],
        town: &str,
        not: usize,
        t: i64,
    ) -> Option<usize> {
        if kinds.is_empty() {
            return None;
        }
        if rng.random_bool(0.6)
            && let Some(local) = self.by_town.get(town)
        {
            for _ in 0..8 {
                let o = *pick(rng, local);
                if o != not && self.kind(o).is_some_and(|k| kinds.contains(&k)) && self.open(o, t) {
                    return Some(o);
                }
            }
        }
        for _ in 0..8 {
            let list = &self.by_kind[*pick(rng, kinds) as usize];
            if list.is_empty() {
                continue;
            }
            let o = *pick(rng, list);
            if o != not && self.open(o, t) {
                return Some(o);
            }
        }
        None
    }
}

/// How much a planned payment moves, settled when it is posted.
#[derive(Debug, Clone, Copy)]
enum Amount {
    /// Up to `want`, as far as the payer's credit line and the payee's upper limit allow; left
    /// out below `min`.
    Capped { want: i64, min: i64 },
    /// Like `Capped`, wishing for a little more when the payer has savings (8% of a positive
    /// balance, at most twice `want` more): households that earn credit spend it.
    Household { want: i64, min: i64 },
    /// `permille` of the payer's positive balance, in whole units, at most `max`; left out below
    /// `min`.
    Share { permille: i64, min: i64, max: i64 },
}

/// `amount` with its wish scaled by `percent`.
fn scaled(amount: Amount, percent: i64) -> Amount {
    match amount {
        Amount::Capped { want, min } | Amount::Household { want, min } => Amount::Household {
            want: want.saturating_mul(percent) / 100,
            min,
        },
        share => share,
    }
}

/// How much of an invoice a payment covers.
#[derive(Debug, Clone, Copy)]
enum Portion {
    Part(i64),
    Rest,
}

#[derive(Debug, Clone)]
enum Step {
    Issue,
    Accept,
    Dispute(String),
    Cancel,
    /// A transfer by the debtor (credit invoices) or a payment the creditor records (euro),
    /// with the creditor's note for the latter.
    Pay(Portion, String),
}

#[derive(Debug, Clone, Copy)]
enum RequestStep {
    Pay(usize),
    Decline,
    Cancel,
}

#[derive(Debug)]
enum Action {
    Pay {
        payer: usize,
        payee: usize,
        amount: Amount,
        memo: String,
        /// Reversed by the coordinator this long after, as a mistake.
        reverse_after: Option<i64>,
    },
    Invoice(usize, Step),
    Request(usize, RequestStep),
    /// A purchasing group settles delivered cycle `n` of the purchasing plan.
    Settle(usize),
    /// A household pays instalment `n` of the purchasing plan.
    Instalment(usize),
}

/// What comes up later while the year is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Later {
    /// A coordinator reverses this transfer (its index).
    Reversal(usize),
    /// Instalment `n` of the purchasing plan, refused before, is tried again.
    Instalment(usize),
}

#[derive(Debug)]
struct Intent {
    at: i64,
    order: u32,
    action: Action,
}

struct InvoicePlan {
    creditor: usize,
    debtor: usize,
    euro: bool,
    amount: i64,
    number: String,
    description: String,
    created: i64,
    due_on: Date,
}

struct RequestPlan {
    payee: usize,
    payer: Option<usize>,
    amount: i64,
    memo: String,
    created: i64,
}

/// Everything that will be tried, in no particular order yet.
struct Plan<'w> {
    w: &'w World,
    unit: i64,
    intents: Vec<Intent>,
    invoices: Vec<InvoicePlan>,
    requests: Vec<RequestPlan>,
    /// Invoices numbered so far per (creditor, year).
    numbers: HashMap<(usize, i32), usize>,
    purchasing: purchasing::Builder,
    /// Purchasing records numbered so far, per table (for their ids).
    purchasing_counts: [u64; 6],
    /// The district currency's code.
    currency: String,
    /// Purchasing groups that run order cycles: their households buy through the cycles, and
    /// the cycles' settlements pay their farms.
    cycling: Vec<usize>,
    /// Households with a wage in credit: the ones that take a seasonal subscription in
    /// credit (a household without income in credit could not keep up its instalments).
    earners: std::collections::HashSet<usize>,
}

/// Minor units between `lo` and `hi` whole units: the smaller of two draws, since most
/// payments are small, rounded down to `round` minor units.
fn draw(rng: &mut impl Rng, unit: i64, lo: i64, hi: i64, round: i64) -> i64 {
    let (lo, hi) = (lo * unit, (hi * unit).max(lo * unit + 1));
    let v = rng.random_range(lo..=hi).min(rng.random_range(lo..=hi));
    let round = round.max(1);
    (v / round * round).max(round)
}

fn month_name(t: i64, french: bool) -> &'static str {
    const IT: [&str; 12] = [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ];
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let m = usize::from(u8::from(instant(t).month())).saturating_sub(1) % 12;
    if french { FR[m] } else { IT[m] }
}

/// Fills `{week}`, `{month}`, `{year}` and `{product}` of a memo template for moment `t`.
fn fill(template: &str, t: i64, french: bool, rng: &mut impl Rng) -> String {
    let mut s = template.to_owned();
    if s.contains("{week}") {
        s = s.replace("{week}", &instant(t).iso_week().to_string());
    }
    if s.contains("{month}") {
        let month = month_name(t, french);
        // "d'avril", "d'octobre".
        if french && month.starts_with(['a', 'o']) {
            s = s.replace("de {month}", &format!("d'{month}"));
        }
        s = s.replace("{month}", month);
    }
    if s.contains("{year}") {
        s = s.replace("{year}", &instant(t).year().to_string());
    }
    if s.contains("{product}") {
        let products = if french { PRODUCTS_FR } else { PRODUCTS_IT };
        let product: &&str = pick(rng, products);
        s = s.replace("{product}", product);
    }
    if s.contains("{n}") {
        s = s.replace("{n}", &rng.random_range(4..40).to_string());
    }
    s
}

/// A memo from the pool of the party's language.
fn say(
    rng: &mut impl Rng,
    french: bool,
    it: &[&'static str],
    fr: &[&'static str],
    t: i64,
) -> String {
    let template = if french {
        *pick(rng, fr)
    } else {
        *pick(rng, it)
    };
    fill(template, t, french, rng)
}

const HOUSEHOLD_KINDS: &[K] = &[
    K::PurchasingGroup,
    K::ConsumerCoop,
    K::Farm,
    K::ProducerCoop,
    K::MultiStakeholderCoop,
];
const EMPLOYER_KINDS: &[K] = &[
    K::WorkerCoop,
    K::ConsumerCoop,
    K::ProducerCoop,
    K::MultiStakeholderCoop,
    K::SocialEnterprise,
    K::Farm,
];
/// Who buys a household's garden vegetables, honey, odd jobs.
const SELLS_TO_KINDS: &[K] = &[
    K::ConsumerCoop,
    K::PurchasingGroup,
    K::SocialEnterprise,
    K::MultiStakeholderCoop,
    K::Association,
];
const SERVICE_KINDS: &[K] = &[K::WorkerCoop, K::SocialEnterprise, K::Association];
const GRANT_KINDS: &[K] = &[K::Association, K::CommunityGroup, K::SocialEnterprise];

impl<'w> Plan<'w> {
    fn new(w: &'w World, unit: i64) -> Self {
        Self {
            w,
            unit,
            intents: Vec::new(),
            invoices: Vec::new(),
            requests: Vec::new(),
            numbers: HashMap::new(),
            purchasing: purchasing::Builder::default(),
            purchasing_counts: [0; 6],
            currency: String::new(),
            cycling: w.cycling_groups(),
            earners: std::collections::HashSet::new(),
        }
    }

    fn rng(&self, p: usize) -> ChaCha8Rng {
        // Keyed by the account id, so an account draws the same whatever else trades.
        let key = self.w.parties.get(p).map_or(0, |p| {
            let b = p.account.as_u128();
            (b as u64) ^ ((b >> 64) as u64)
        });
        stream_rng(self.w.spec.seed, Stream::Trade, key)
    }

    fn push(&mut self, at: i64, action: Action) {
        let order = u32::try_from(self.intents.len()).unwrap_or(u32::MAX);
        self.intents.push(Intent { at, order, action });
    }

    /// A payment, if both sides are open at `at`.
    fn pay(&mut self, at: i64, payer: usize, payee: usize, amount: Amount, memo: String) {
        self.pay_maybe_reversed(at, payer, payee, amount, memo, None);
    }

    fn pay_maybe_reversed(
        &mut self,
        at: i64,
        payer: usize,
        payee: usize,
        amount: Amount,
        memo: String,
        reverse_after: Option<i64>,
    ) {
        if payer != payee && self.w.open(payer, at) && self.w.open(payee, at) {
            self.push(
                at,
                Action::Pay {
                    payer,
                    payee,
                    amount,
                    memo,
                    reverse_after,
                },
            );
        }
    }

    fn capped(&self, rng: &mut impl Rng, lo: i64, hi: i64, round_cents: i64) -> Amount {
        let round = (self.unit * round_cents / 100).max(1);
        Amount::Capped {
            want: draw(rng, self.unit, lo, hi, round),
            min: (self.unit * 2).max(1),
        }
    }

    fn cents(&self, n: i64) -> i64 {
        (self.unit * n / 100).max(1)
    }

    /// Households: weekly shopping, extras, services, neighbours, a yearly fee, and for most an
    /// income from an organisation (a wage's credit share, volunteers' expenses).
    fn people(&mut self) {
        let w = self.w;
        for &p in &w.people {
            let party = &w.parties[p];
            let mut rng = self.rng(p);
            let (french, town, from, until) = (party.french, party.town, party.from, party.until);
            let orgs = &w.links[p];
            // Where this household shops: its own groups first, then the town's.
            let mut shops: Vec<usize> = orgs
                .iter()
                .copied()
                .filter(|&o| w.kind(o).is_some_and(|k| HOUSEHOLD_KINDS.contains(&k)))
                .collect();
            for _ in 0..2 {
                if shops.len() >= 2 {
                    break;
                }
                if let Some(o) = w.org_of(
                    &mut rng,
                    HOUSEHOLD_KINDS,
                    town,
                    usize::MAX,
                    until.min(END_S) - 1,
                ) && !shops.contains(&o)
                {
                    shops.push(o);
                }
            }
            let employer = orgs
                .iter()
                .copied()
                .find(|&o| w.kind(o).is_some_and(|k| EMPLOYER_KINDS.contains(&k)))
                .filter(|_| rng.random_bool(0.8))
                .or_else(|| {
                    rng.random_bool(0.6)
                        .then(|| {
                            w.org_of(
                                &mut rng,
                                EMPLOYER_KINDS,
                                town,
                                usize::MAX,
                                until.min(END_S) - 1,
                            )
                        })
                        .flatten()
                });
            // Groups running order cycles live on their fees: they pay no expenses.
            let volunteers_at = orgs.iter().copied().find(|&o| {
                w.kind(o).is_some_and(|k| {
                    matches!(k, K::Association | K::CommunityGroup | K::PurchasingGroup)
                }) && !self.cycling.contains(&o)
            });
            if employer.is_some() {
                self.earners.insert(p);
            }
            let wage = draw(&mut rng, self.unit, 150, 600, self.unit);
            let payday = rng.random_range(0..28) * DAY;
            let appetite = rng.random_range(60..100);
            // Households with a wage in credit spend more of it in the district.
            let means = if employer.is_some() {
                (wage * 100 / (300 * self.unit).max(1)).clamp(60, 200)
            } else {
                30
            };

            for week in 0..WEEKS {
                let start = START_S + week * WEEK;
                if start + WEEK <= from || start >= until {
                    continue;
                }
                // The weekly shop, and most weeks a second one (the market, the farm).
                for visit in 0..2 {
                    let threshold = if visit == 0 { appetite } else { appetite - 35 };
                    if rng.random_range(0..100) >= threshold {
                        continue;
                    }
                    let t = moment(&mut rng, start, 0..7);
                    let Some(shop) = self.shop(&mut rng, &shops, visit, town, t) else {
                        continue;
                    };
                    // A group running order cycles is paid through their settlements.
                    if self.cycling.contains(&shop) {
                        continue;
                    }
                    let (it, fr) = shop_memos(w.kind(shop));
                    let memo = say(&mut rng, french, it, fr, t);
                    let amount = scaled(self.capped(&mut rng, 12, 85, 10), means);
                    // About one payment in a thousand goes to the wrong place and is reversed.
                    let oops = rng
                        .random_bool(0.001)
                        .then(|| rng.random_range(HOUR..3 * DAY));
                    self.pay_maybe_reversed(t, p, shop, amount, memo, oops);
                }
                // Bread, coffee, honey: small and frequent.
                for _ in 0..2 {
                    if !rng.random_bool(0.4) {
                        continue;
                    }
                    let t = moment(&mut rng, start, 0..7);
                    let visit = rng.random_range(0..2);
                    if let Some(shop) = self
                        .shop(&mut rng, &shops, visit, town, t)
                        .filter(|s| !self.cycling.contains(s))
                    {
                        let memo = say(&mut rng, french, EXTRA_IT, EXTRA_FR, t);
                        let amount = scaled(self.capped(&mut rng, 3, 25, 10), means);
                        self.pay(t, p, shop, amount, memo);
                    }
                }
                if rng.random_bool(0.06) {
                    let t = moment(&mut rng, start, 0..7);
                    if let Some(o) = w.org_of(&mut rng, SERVICE_KINDS, town, usize::MAX, t) {
                        let memo = say(&mut rng, french, SERVICE_IT, SERVICE_FR, t);
                        let amount = self.capped(&mut rng, 15, 150, 100);
                        self.pay(t, p, o, amount, memo);
                    }
                }
                if rng.random_bool(0.06) {
                    let t = moment(&mut rng, start, 0..7);
                    if let Some(q) = self.neighbour(&mut rng, p) {
                        let memo = say(&mut rng, french, NEIGHBOUR_IT, NEIGHBOUR_FR, t);
                        let amount = self.capped(&mut rng, 5, 60, 100);
                        self.pay(t, p, q, amount, memo);
                    }
                }
                if rng.random_bool(0.012) {
                    let t = moment(&mut rng, start, 0..7);
                    if let Some(q) = self.neighbour(&mut rng, p) {
                        let memo = say(&mut rng, french, SHARED_IT, SHARED_FR, t);
                        let amount = draw(&mut rng, self.unit, 5, 40, self.cents(50));
                        self.request(&mut rng, t, p, Some(q), amount, memo);
                    }
                }
            }

            for month in 0..MONTHS {
                let t = daytime(&mut rng, START_S + month * 30 * DAY + payday);
                if let Some(e) = employer {
                    let memo = say(&mut rng, w.parties[e].french, WAGE_IT, WAGE_FR, t);
                    let want = wage * rng.random_range(90..=110) / 100;
                    let amount = Amount::Capped {
                        want: want / self.unit * self.unit,
                        min: self.unit * 20,
                    };
                    self.pay(t, e, p, amount, memo);
                }
                if employer.is_none()
                    && rng.random_bool(0.85)
                    && let Some(o) = w.org_of(&mut rng, SELLS_TO_KINDS, town, usize::MAX, t)
                    && !self.cycling.contains(&o)
                {
                    let t = t + rng.random_range(0..10) * DAY;
                    let memo = say(&mut rng, w.parties[o].french, SOLD_IT, SOLD_FR, t);
                    let amount = self.capped(&mut rng, 30, 160, 100);
                    self.pay(t, o, p, amount, memo);
                }
                if let Some(v) = volunteers_at
                    && rng.random_bool(0.35)
                {
                    let t = t + rng.random_range(0..5) * DAY;
                    let memo = say(&mut rng, w.parties[v].french, VOLUNTEER_IT, VOLUNTEER_FR, t);
                    let amount = self.capped(&mut rng, 15, 70, 100);
                    self.pay(t, v, p, amount, memo);
                }
            }

            if let Some(fees) = w.fees {
                let t = moment(&mut rng, from, 2..20);
                let memo = say(&mut rng, french, FEE_IT, FEE_FR, t);
                let amount = self.capped(&mut rng, 10, 25, 100);
                self.pay(t, p, fees, amount, memo);
            }
        }
    }

    /// Where a household shops at `t`: its usual place (`visit` 0) or its second one, else any
    /// shop of the town that is open.
    fn shop(
        &self,
        rng: &mut impl Rng,
        shops: &[usize],
        visit: usize,
        town: &str,
        t: i64,
    ) -> Option<usize> {
        let w = self.w;
        let usual = shops
            .get(visit.min(shops.len().saturating_sub(1)))
            .copied()
            .filter(|&s| w.open(s, t));
        usual
            .or_else(|| shops.iter().copied().find(|&s| w.open(s, t)))
            .or_else(|| w.org_of(rng, HOUSEHOLD_KINDS, town, usize::MAX, t))
    }

    /// Someone this person knows from one of their organisations, or anyone.
    fn neighbour(&self, rng: &mut impl Rng, p: usize) -> Option<usize> {
        let w = self.w;
        if let Some(&o) = w.links[p].first().filter(|_| rng.random_bool(0.8)) {
            let members = &w.links[o];
            for _ in 0..4 {
                let q = *pick(rng, members);
                if q != p {
                    return Some(q);
                }
            }
        }
        let q = *pick(rng, &w.people);
        (q != p).then_some(q)
    }

    /// A payment request and its fate: mostly paid within days, some declined or withdrawn,
    /// the rest (and the recent ones) still open.
    fn request(
        &mut self,
        rng: &mut impl Rng,
        t: i64,
        payee: usize,
        payer: Option<usize>,
        amount: i64,
        memo: String,
    ) {
        let w = self.w;
        if !w.open(payee, t) || payer.is_some_and(|q| q == payee || !w.open(q, t)) {
            return;
        }
        let r = self.requests.len();
        self.requests.push(RequestPlan {
            payee,
            payer,
            amount,
            memo,
            created: t,
        });
        let fate = rng.random_range(0..100);
        let later = t + rng.random_range(HOUR..6 * DAY);
        let who = match payer {
            Some(q) => Some(q),
            // Anyone at the stall: one of the farm's people, or any household.
            None => {
                let regulars = &w.links[payee];
                let q = if !regulars.is_empty() && rng.random_bool(0.7) {
                    *pick(rng, regulars)
                } else {
                    *pick(rng, &w.people)
                };
                (q != payee).then_some(q)
            }
        };
        let step = match (fate, who) {
            (0..68, Some(q)) if w.open(q, later) => Some(RequestStep::Pay(q)),
            (68..80, Some(_)) if payer.is_some() => Some(RequestStep::Decline),
            (80..85, _) => Some(RequestStep::Cancel),
            _ => None,
        };
        if let Some(step) = step
            && later < END_S
        {
            self.push(later, Action::Request(r, step));
        }
    }

    fn organizations(&mut self) {
        let w = self.w;
        for p in 0..w.parties.len() {
            let Some(kind) = w.kind(p) else { continue };
            let party = &w.parties[p];
            let (french, town, from, until) = (party.french, party.town, party.from, party.until);
            let mut rng = self.rng(p);
            let suppliers: Vec<usize> = (0..3)
                .filter_map(|_| {
                    w.org_of(
                        &mut rng,
                        supplier_kinds(kind),
                        town,
                        p,
                        until.min(END_S) - 1,
                    )
                })
                .collect();
            if let Some(fees) = w.fees {
                let t = moment(&mut rng, from, 3..30);
                let memo = say(&mut rng, french, ORG_FEE_IT, ORG_FEE_FR, t);
                let amount = self.capped(&mut rng, 50, 300, 100);
                self.pay(t, p, fees, amount, memo);
            }
            for week in 0..WEEKS {
                let start = START_S + week * WEEK;
                if start + WEEK <= from || start >= until {
                    continue;
                }
                let t = moment(&mut rng, start, 0..7);
                self.purchases(&mut rng, p, kind, week, t, &suppliers);
                // Invoices to customers.
                if !invoiced_by(kind).is_empty() && rng.random_bool(0.2) {
                    let t = moment(&mut rng, start, 0..7);
                    // Groups running order cycles pay their farms through the cycles.
                    if let Some(d) = w.org_of(&mut rng, invoiced_by(kind), town, p, t)
                        && !self.cycling.contains(&d)
                    {
                        self.invoice(&mut rng, t, p, d);
                    }
                }
                // Requests: a farm's box scheme, a stall's open request, shared costs.
                if matches!(kind, K::Farm | K::ProducerCoop | K::ConsumerCoop)
                    && rng.random_bool(0.12)
                    && !w.links[p].is_empty()
                {
                    let t = moment(&mut rng, start, 0..7);
                    let q = *pick(&mut rng, &w.links[p]);
                    let memo = say(&mut rng, french, BOX_IT, BOX_FR, t);
                    let amount = draw(&mut rng, self.unit, 25, 120, self.unit);
                    self.request(&mut rng, t, p, Some(q), amount, memo);
                }
                if kind == K::Farm && rng.random_bool(0.03) {
                    let t = moment(&mut rng, start, 0..7);
                    let memo = say(&mut rng, french, STALL_IT, STALL_FR, t);
                    let amount = draw(&mut rng, self.unit, 5, 40, self.cents(50));
                    self.request(&mut rng, t, p, None, amount, memo);
                }
                if rng.random_bool(0.01) {
                    let t = moment(&mut rng, start, 0..7);
                    if let Some(q) = w.org_of(&mut rng, K::ALL, town, p, t) {
                        let memo = say(&mut rng, french, SHARED_ORG_IT, SHARED_ORG_FR, t);
                        let amount = draw(&mut rng, self.unit, 40, 400, self.unit);
                        self.request(&mut rng, t, p, Some(q), amount, memo);
                    }
                }
            }
        }
    }

    /// What an organisation buys from others in week `week`.
    fn purchases(
        &mut self,
        rng: &mut ChaCha8Rng,
        p: usize,
        kind: K,
        week: i64,
        t: i64,
        suppliers: &[usize],
    ) {
        let w = self.w;
        let Some(&supplier) = suppliers.get(rng.random_range(0..suppliers.len().max(1))) else {
            return;
        };
        let french = w.parties[p].french;
        let unit = self.unit;
        let share = |permille: i64| Amount::Share {
            permille,
            min: unit * 30,
            max: unit * 4_000,
        };
        let (amount, it, fr) = match kind {
            // Groups pass their members' money on to the farms they order from (those running
            // order cycles pay their farms when a cycle is settled).
            K::PurchasingGroup if self.cycling.contains(&p) => return,
            K::PurchasingGroup => (share(850), ORDER_IT, ORDER_FR),
            K::ConsumerCoop | K::MultiStakeholderCoop => (share(600), ORDER_IT, ORDER_FR),
            K::ProducerCoop if week % 2 == 0 => (share(500), DELIVERY_IT, DELIVERY_FR),
            K::Farm if week % 3 == 0 => (self.capped(rng, 60, 600, 100), FARM_IT, FARM_FR),
            K::SocialEnterprise if week % 2 == 1 => {
                (self.capped(rng, 80, 900, 100), CANTEEN_IT, CANTEEN_FR)
            }
            K::WorkerCoop if week % 4 == 0 => {
                (self.capped(rng, 100, 1_200, 100), MATERIAL_IT, MATERIAL_FR)
            }
            K::Association | K::CommunityGroup if week % 4 == 2 && rng.random_bool(0.6) => {
                (self.capped(rng, 40, 400, 100), EVENT_IT, EVENT_FR)
            }
            K::PublicPartner if week % 4 == 1 => (share(700), PUBLIC_IT, PUBLIC_FR),
            _ => return,
        };
        let memo = say(rng, french, it, fr, t);
        self.pay(t, p, supplier, amount, memo);
        // Associations rent rooms from the municipality.
        if matches!(kind, K::Association | K::CommunityGroup)
            && week % 4 == 3
            && rng.random_bool(0.5)
            && let Some(landlord) = w.org_of(rng, &[K::PublicPartner], w.parties[p].town, p, t)
        {
            let memo = say(rng, french, RENT_IT, RENT_FR, t);
            let amount = self.capped(rng, 30, 250, 100);
            self.pay(t + HOUR, p, landlord, amount, memo);
        }
    }

    /// An invoice from `creditor` to `debtor` issued at `t`, with the steps its fate brings.
    fn invoice(&mut self, rng: &mut ChaCha8Rng, t: i64, creditor: usize, debtor: usize) {
        let w = self.w;
        let (c, d) = (&w.parties[creditor], &w.parties[debtor]);
        let Some(kind) = w.kind(creditor) else { return };
        let euro = rng.random_bool(if w.kind(debtor) == Some(K::PublicPartner) {
            0.8
        } else {
            0.3
        });
        let amount = draw(rng, self.unit, 80, 3_000, self.cents(1));
        let (it, fr) = invoice_texts(kind);
        let description = say(rng, c.french, it, fr, t);
        let year = instant(t).year();
        let counter = self.numbers.entry((creditor, year)).or_insert(0);
        *counter += 1;
        let sequence = *counter;
        let number = if c.french {
            format!("FA-{year}-{sequence:04}")
        } else {
            format!("{year}/{sequence:03}")
        };
        let terms = if rng.random_bool(0.7) { 30 } else { 60 };
        let due_on = (instant(t) + Duration::days(terms)).date();
        let i = self.invoices.len();
        self.invoices.push(InvoicePlan {
            creditor,
            debtor,
            euro,
            amount,
            number,
            description,
            created: t,
            due_on,
        });
        self.push(t, Action::Invoice(i, Step::Issue));

        let debtor_french = d.french;
        let creditor_french = c.french;
        let days = |rng: &mut ChaCha8Rng, lo: i64, hi: i64| rng.random_range(lo * DAY..hi * DAY);
        let mut steps: Vec<(i64, Step)> = Vec::new();
        let mut at = t;
        let note = |rng: &mut ChaCha8Rng, at: i64| {
            let template = if creditor_french {
                *pick(rng, RECORD_FR)
            } else {
                *pick(rng, RECORD_IT)
            };
            let date = instant(at).date();
            template.replace(
                "{date}",
                &format!(
                    "{:02}/{:02}/{}",
                    date.day(),
                    u8::from(date.month()),
                    date.year()
                ),
            )
        };
        let reason = |rng: &mut ChaCha8Rng| {
            (*pick(
                rng,
                if debtor_french {
                    DISPUTE_FR
                } else {
                    DISPUTE_IT
                },
            ))
            .to_owned()
        };
        match rng.random_range(0..100) {
            // Accepted (mostly) and paid in one go, sometimes after the due date.
            0..40 => {
                if rng.random_bool(0.75) {
                    at += days(rng, 1, 8);
                    steps.push((at, Step::Accept));
                }
                at += days(rng, 5, 55);
                steps.push((at, Step::Pay(Portion::Rest, note(rng, at))));
            }
            // Paid in two instalments.
            40..52 => {
                at += days(rng, 1, 8);
                steps.push((at, Step::Accept));
                at += days(rng, 7, 30);
                let part = Portion::Part(rng.random_range(300..700));
                steps.push((at, Step::Pay(part, note(rng, at))));
                at += days(rng, 20, 60);
                steps.push((at, Step::Pay(Portion::Rest, note(rng, at))));
            }
            // Partly paid, the rest still owed.
            52..62 => {
                at += days(rng, 1, 8);
                steps.push((at, Step::Accept));
                at += days(rng, 7, 40);
                let part = Portion::Part(rng.random_range(200..800));
                steps.push((at, Step::Pay(part, note(rng, at))));
            }
            // Accepted, nothing paid yet.
            62..74 => {
                at += days(rng, 1, 10);
                steps.push((at, Step::Accept));
            }
            // Disputed, and left there.
            74..80 => {
                at += days(rng, 2, 12);
                steps.push((at, Step::Dispute(reason(rng))));
            }
            // Disputed, sorted out, accepted and paid.
            80..84 => {
                at += days(rng, 2, 10);
                steps.push((at, Step::Dispute(reason(rng))));
                at += days(rng, 5, 25);
                steps.push((at, Step::Accept));
                at += days(rng, 3, 30);
                steps.push((at, Step::Pay(Portion::Rest, note(rng, at))));
            }
            // Withdrawn by the creditor, sometimes after a dispute.
            84..91 => {
                if rng.random_bool(0.4) {
                    at += days(rng, 2, 10);
                    steps.push((at, Step::Dispute(reason(rng))));
                }
                at += days(rng, 1, 20);
                steps.push((at, Step::Cancel));
            }
            // Never answered.
            _ => {}
        }
        for (at, step) in steps {
            if !(w.open(creditor, at) && w.open(debtor, at)) {
                break;
            }
            self.push(at, Action::Invoice(i, step));
        }
    }

    /// The district's own accounts: fees passed on to the fund monthly, and the fund's grants
    /// (the participatory budget) every quarter.
    fn district(&mut self) {
        let w = self.w;
        let (Some(fund), Some(fees)) = (w.fund, w.fees) else {
            return;
        };
        let mut rng = self.rng(fund);
        for month in 0..MONTHS {
            let day = START_S + month * 30 * DAY + 27 * DAY;
            let t = day + 18 * HOUR;
            let memo = fill(FEES_TO_FUND, t, false, &mut rng);
            let amount = Amount::Share {
                permille: 1000,
                min: self.unit,
                max: self.unit * 1_000_000,
            };
            self.pay(t, fees, fund, amount, memo);
            if month % 3 == 2 {
                for _ in 0..rng.random_range(3..7) {
                    let t = moment(&mut rng, t, 1..3);
                    if let Some(o) = w.org_of(&mut rng, GRANT_KINDS, TOWNS[0].name, fund, t) {
                        let memo = say(&mut rng, false, GRANT_IT, GRANT_IT, t);
                        let amount = self.capped(&mut rng, 200, 1_500, 100);
                        self.pay(t, fund, o, amount, memo);
                    }
                }
            }
        }
    }
}

fn supplier_kinds(kind: K) -> &'static [K] {
    match kind {
        K::PurchasingGroup | K::ConsumerCoop | K::MultiStakeholderCoop => {
            &[K::Farm, K::ProducerCoop]
        }
        K::ProducerCoop => &[K::Farm],
        K::Farm => &[K::ProducerCoop, K::WorkerCoop, K::MultiStakeholderCoop],
        K::SocialEnterprise => &[K::ConsumerCoop, K::Farm, K::ProducerCoop],
        K::WorkerCoop => &[K::ProducerCoop, K::WorkerCoop],
        K::Association | K::CommunityGroup => &[K::ConsumerCoop, K::SocialEnterprise],
        K::PublicPartner => &[K::SocialEnterprise, K::Association, K::WorkerCoop],
    }
}

/// Whom an organisation of a kind invoices.
fn invoiced_by(kind: K) -> &'static [K] {
    match kind {
        K::Farm => &[
            K::ConsumerCoop,
            K::PurchasingGroup,
            K::ProducerCoop,
            K::SocialEnterprise,
            K::MultiStakeholderCoop,
        ],
        K::ProducerCoop => &[
            K::ConsumerCoop,
            K::PurchasingGroup,
            K::SocialEnterprise,
            K::MultiStakeholderCoop,
        ],
        K::WorkerCoop => &[
            K::Farm,
            K::ProducerCoop,
            K::ConsumerCoop,
            K::SocialEnterprise,
            K::Association,
            K::MultiStakeholderCoop,
            K::PublicPartner,
        ],
        K::SocialEnterprise => &[
            K::PublicPartner,
            K::Association,
            K::ConsumerCoop,
            K::Farm,
            K::WorkerCoop,
            K::MultiStakeholderCoop,
        ],
        K::MultiStakeholderCoop => &[
            K::Farm,
            K::WorkerCoop,
            K::ConsumerCoop,
            K::SocialEnterprise,
            K::Association,
        ],
        K::ConsumerCoop => &[K::SocialEnterprise, K::Association, K::CommunityGroup],
        K::Association | K::CommunityGroup | K::PurchasingGroup | K::PublicPartner => &[],
    }
}

/// Replays the plan in time order through the [`Book`] and chains the journal.
struct Ledger<'w> {
    w: &'w World,
    currency: String,
    book: Book,
    transfers: Vec<DemoTransfer>,
    prev: Hash,
    events: Vec<DemoInvoiceEvent>,
}

/// An invoice while the year is replayed.
struct InvoiceState {
    status: InvoiceStatus,
    paid: i64,
    dispute_reason: Option<String>,
    updated: i64,
}

/// A request while the year is replayed.
struct RequestState {
    status: &'static str,
    payer: Option<usize>,
    transfer: Option<Uuid>,
    decided: Option<i64>,
}

impl<'w> Ledger<'w> {
    fn new(w: &'w World, currency: &Currency) -> Self {
        let mut book = Book::new();
        for p in &w.parties {
            book.load(
                p.account,
                AccountState {
                    currency: currency.code.clone(),
                    balance_minor: 0,
                    limits: p.limits,
                },
            );
        }
        Self {
            w,
            currency: currency.code.clone(),
            book,
            transfers: Vec::new(),
            prev: GENESIS_HASH,
            events: Vec::new(),
        }
    }

    fn seed(&self) -> u64 {
        self.w.spec.seed
    }

    /// How much `amount` comes to now, or `None` when it falls below its minimum.
    fn settle(&self, amount: Amount, payer: usize, payee: usize, unit: i64) -> Option<i64> {
        let a = self.book.get(&self.w.parties.get(payer)?.account)?;
        let b = self.book.get(&self.w.parties.get(payee)?.account)?;
        let room = b
            .limits
            .upper_limit_minor
            .map_or(i64::MAX, |u| u.saturating_sub(b.balance_minor).max(0));
        let v = match amount {
            Amount::Household { want, min } => {
                let extra = (a.balance_minor.max(0) / 100 * 8).min(want.saturating_mul(2));
                let v = want
                    .saturating_add(extra)
                    .min(a.limits.spendable_minor(a.balance_minor))
                    .min(room);
                let v = v - v % (unit / 10).max(1);
                (v >= min).then_some(v)?
            }
            Amount::Capped { want, min } => {
                let v = want
                    .min(a.limits.spendable_minor(a.balance_minor))
                    .min(room);
                (v >= min).then_some(v)?
            }
            Amount::Share { permille, min, max } => {
                let share = i128::from(a.balance_minor.max(0)) * i128::from(permille) / 1000;
                let v = i64::try_from(share).ok()?.min(max).min(room);
                let v = v - v % unit.max(1);
                (v >= min).then_some(v)?
            }
        };
        (v > 0).then_some(v)
    }

    /// Posts one transfer through the book and appends it to the journal; `None` if refused.
    #[allow(clippy::too_many_arguments)]
    fn post(
        &mut self,
        at: i64,
        kind: TransferKind,
        payer: usize,
        payee: usize,
        amount_minor: i64,
        memo: &str,
        links: (Option<Uuid>, Option<Uuid>, Option<Uuid>),
        created_by: Uuid,
    ) -> Option<Uuid> {
        let (from, to) = (
            self.w.parties.get(payer)?.account,
            self.w.parties.get(payee)?.account,
        );
        let posted = self
            .book
            .post(&[Leg {
                payer: from,
                payee: to,
                amount_minor,
            }])
            .ok()?;
        let after = posted.first()?;
        self.append(
            at,
            kind,
            (from, to, amount_minor),
            after,
            memo,
            links,
            created_by,
        )
    }

    /// Appends one posted leg to the journal, chained to the entry before.
    #[allow(clippy::too_many_arguments)]
    fn append(
        &mut self,
        at: i64,
        kind: TransferKind,
        (from, to, amount_minor): (Uuid, Uuid, i64),
        after: &crate::ledger::Posted,
        memo: &str,
        links: (Option<Uuid>, Option<Uuid>, Option<Uuid>),
        created_by: Uuid,
    ) -> Option<Uuid> {
        let seq = i64::try_from(self.transfers.len()).ok()? + 1;
        let entry = JournalEntry {
            seq,
            id: stream_id(self.seed(), Stream::Transfer, seq.unsigned_abs()),
            kind,
            payer: from,
            payee: to,
            currency: self.currency.clone(),
            amount_minor,
            payer_balance_minor: after.payer_balance_minor,
            payee_balance_minor: after.payee_balance_minor,
            memo: parse_memo(memo).unwrap_or_default(),
            invoice_id: links.0,
            request_id: links.1,
            reverses: links.2,
            created_by: Some(created_by),
            created_at: instant(at),
        };
        let hash = entry_hash(&self.prev, &entry);
        let id = entry.id;
        self.transfers.push(DemoTransfer {
            entry,
            prev_hash: self.prev,
            hash,
        });
        self.prev = hash;
        Some(id)
    }

    /// Appends a step to an invoice's history; `paid` is the amount and transfer of the step.
    fn event(
        &mut self,
        invoice_id: Uuid,
        action: &'static str,
        paid: (Option<i64>, Option<Uuid>),
        note: String,
        actor: Uuid,
        at: i64,
    ) {
        let (amount_minor, transfer_id) = paid;
        let n = self.events.len() as u64;
        self.events.push(DemoInvoiceEvent {
            id: stream_id(self.seed(), Stream::InvoiceEvent, n),
            invoice_id,
            action,
            amount_minor,
            transfer_id,
            note,
            actor,
            created_at: instant(at),
        });
    }

    fn run(mut self, plan: Plan<'_>) -> DemoTrade {
        let Plan {
            unit,
            mut intents,
            invoices,
            requests,
            purchasing,
            ..
        } = plan;
        let mut purchasing = purchasing;
        intents.sort_unstable_by_key(|i| (i.at, i.order));
        let seed = self.seed();
        let invoice_ids: Vec<Uuid> = (0..invoices.len() as u64)
            .map(|n| stream_id(seed, Stream::Invoice, n))
            .collect();
        let request_ids: Vec<Uuid> = (0..requests.len() as u64)
            .map(|n| stream_id(seed, Stream::PaymentRequest, n))
            .collect();
        let mut inv_state: Vec<InvoiceState> = invoices
            .iter()
            .map(|i| InvoiceState {
                status: InvoiceStatus::Issued,
                paid: 0,
                dispute_reason: None,
                updated: i.created,
            })
            .collect();
        let mut req_state: Vec<RequestState> = requests
            .iter()
            .map(|r| RequestState {
                status: "open",
                payer: r.payer,
                transfer: None,
                decided: None,
            })
            .collect();
        // Reversals and instalments tried again come up while replaying: (when, order, what).
        let mut later: BinaryHeap<Reverse<(i64, u32, Later)>> = BinaryHeap::new();
        let mut order = u32::try_from(intents.len()).unwrap_or(u32::MAX);
        let bound = intents.len() * (2 + usize::from(purchasing::INSTALMENT_RETRIES)) + 1;
        let mut planned = intents.into_iter().peekable();
        for _ in 0..bound {
            let later_first = match (planned.peek(), later.peek()) {
                (None, None) => break,
                (Some(i), Some(Reverse(r))) => (r.0, r.1) < (i.at, i.order),
                (None, Some(_)) => true,
                (Some(_), None) => false,
            };
            if later_first {
                match later.pop() {
                    Some(Reverse((at, _, Later::Reversal(index)))) => self.reverse(at, index),
                    Some(Reverse((at, _, Later::Instalment(n)))) => {
                        if let Some(again) = self.pay_instalment(at, &mut purchasing, n) {
                            later.push(Reverse((again, order, Later::Instalment(n))));
                            order = order.saturating_add(1);
                        }
                    }
                    None => {}
                }
                continue;
            }
            let Some(Intent { at, action, .. }) = planned.next() else {
                break;
            };
            match action {
                Action::Pay {
                    payer,
                    payee,
                    amount,
                    memo,
                    reverse_after,
                } => {
                    let Some(v) = self.settle(amount, payer, payee, unit) else {
                        continue;
                    };
                    let by = self.w.parties[payer].actor;
                    let posted = self.post(
                        at,
                        TransferKind::Payment,
                        payer,
                        payee,
                        v,
                        &memo,
                        (None, None, None),
                        by,
                    );
                    if let (Some(_), Some(after)) = (posted, reverse_after)
                        && at + after < END_S
                    {
                        later.push(Reverse((
                            at + after,
                            order,
                            Later::Reversal(self.transfers.len() - 1),
                        )));
                        order = order.saturating_add(1);
                    }
                }
                Action::Invoice(i, step) => {
                    if let (Some(plan), Some(state), Some(&id)) =
                        (invoices.get(i), inv_state.get_mut(i), invoice_ids.get(i))
                    {
                        self.invoice_step(at, id, plan, state, step, unit);
                    }
                }
                Action::Request(r, step) => {
                    if let (Some(plan), Some(state), Some(&id)) =
                        (requests.get(r), req_state.get_mut(r), request_ids.get(r))
                    {
                        self.request_step(at, id, plan, state, step);
                    }
                }
                Action::Settle(n) => self.settle_cycle(at, &mut purchasing, n),
                Action::Instalment(n) => {
                    if let Some(again) = self.pay_instalment(at, &mut purchasing, n) {
                        later.push(Reverse((again, order, Later::Instalment(n))));
                        order = order.saturating_add(1);
                    }
                }
            }
        }

        let w = self.w;
        let currency = self.currency.clone();
        let mut balances: Vec<(Uuid, i64)> = w
            .parties
            .iter()
            .filter_map(|p| {
                self.book
                    .get(&p.account)
                    .map(|a| (p.account, a.balance_minor))
            })
            .collect();
        balances.sort_unstable();
        let invoices = invoices
            .into_iter()
            .zip(inv_state)
            .zip(invoice_ids)
            .map(|((plan, state), id)| DemoInvoice {
                id,
                number: plan.number,
                creditor: w.parties[plan.creditor].account,
                debtor: w.parties[plan.debtor].account,
                currency: if plan.euro {
                    crate::ledger::EURO.to_owned()
                } else {
                    currency.clone()
                },
                amount_minor: plan.amount,
                paid_minor: state.paid,
                description: plan.description,
                status: state.status,
                due_on: plan.due_on,
                dispute_reason: state.dispute_reason,
                created_by: w.parties[plan.creditor].actor,
                created_at: instant(plan.created),
                updated_at: instant(state.updated),
            })
            .collect();
        let requests = requests
            .into_iter()
            .zip(req_state)
            .zip(request_ids)
            .map(|((plan, state), id)| DemoRequest {
                id,
                payee: w.parties[plan.payee].account,
                payer: state.payer.map(|q| w.parties[q].account),
                amount_minor: plan.amount,
                memo: plan.memo,
                status: state.status,
                transfer_id: state.transfer,
                created_by: w.parties[plan.payee].actor,
                created_at: instant(plan.created),
                decided_at: state.decided.map(instant),
            })
            .collect();
        DemoTrade {
            head_seq: self.transfers.last().map_or(0, |t| t.entry.seq),
            head_hash: self.prev,
            transfers: self.transfers,
            balances,
            invoices,
            invoice_events: self.events,
            requests,
            purchasing: purchasing.finish(),
        }
    }

    /// The coordinator reverses transfer `index`, a payment sent by mistake.
    fn reverse(&mut self, at: i64, index: usize) {
        let Some(original) = self.transfers.get(index).map(|t| t.entry.clone()) else {
            return;
        };
        let w = self.w;
        let find = |account: Uuid| w.parties.iter().position(|p| p.account == account);
        let (Some(payer), Some(payee)) = (find(original.payee), find(original.payer)) else {
            return;
        };
        if !(w.open(payer, at) && w.open(payee, at)) {
            return;
        }
        let memo = if w.parties[payee].french {
            REVERSAL_FR
        } else {
            REVERSAL_IT
        };
        self.post(
            at,
            TransferKind::Reversal,
            payer,
            payee,
            original.amount_minor,
            memo,
            (None, None, Some(original.id)),
            w.coordinator,
        );
    }

    /// Applies one invoice step through the domain's transition rules; a refused step (or a
    /// payment the book refuses) leaves the invoice as it was.
    fn invoice_step(
        &mut self,
        at: i64,
        id: Uuid,
        plan: &InvoicePlan,
        state: &mut InvoiceState,
        step: Step,
        unit: i64,
    ) {
        let w = self.w;
        let creditor = w.parties[plan.creditor].actor;
        let debtor = w.parties[plan.debtor].actor;
        let amounts = InvoiceAmounts {
            amount_minor: plan.amount,
            paid_minor: state.paid,
            set_off_minor: 0,
        };
        match step {
            Step::Issue => {
                self.event(
                    id,
                    "issued",
                    (Some(plan.amount), None),
                    String::new(),
                    creditor,
                    at,
                );
            }
            Step::Accept | Step::Cancel | Step::Dispute(_) => {
                let (side, action, code, actor) = match &step {
                    Step::Accept => (
                        InvoiceSide::Debtor,
                        InvoiceAction::Accept,
                        "accepted",
                        debtor,
                    ),
                    Step::Cancel => (
                        InvoiceSide::Creditor,
                        InvoiceAction::Cancel,
                        "cancelled",
                        creditor,
                    ),
                    _ => (
                        InvoiceSide::Debtor,
                        InvoiceAction::Dispute,
                        "disputed",
                        debtor,
                    ),
                };
                if let Ok(next) = transition(state.status, amounts, side, action) {
                    let note = match step {
                        Step::Dispute(reason) => {
                            state.dispute_reason = Some(reason.clone());
                            reason
                        }
                        _ => String::new(),
                    };
                    state.status = next;
                    state.updated = at;
                    self.event(id, code, (None, None), note, actor, at);
                }
            }
            Step::Pay(portion, note) => {
                let remaining = amounts.remaining_minor();
                let v = match portion {
                    Portion::Rest => remaining,
                    Portion::Part(permille) => {
                        let v =
                            i64::try_from(i128::from(plan.amount) * i128::from(permille) / 1000)
                                .unwrap_or(remaining);
                        let rounded = v - v % unit.max(1);
                        if rounded > 0 { rounded } else { v }.min(remaining)
                    }
                };
                let side = if plan.euro {
                    InvoiceSide::Creditor
                } else {
                    InvoiceSide::Debtor
                };
                if let Ok(next) = transition(state.status, amounts, side, InvoiceAction::Pay(v)) {
                    if plan.euro {
                        state.paid += v;
                        state.status = next;
                        state.updated = at;
                        self.event(id, "paid_recorded", (Some(v), None), note, creditor, at);
                    } else {
                        let description: String = plan.description.chars().take(200).collect();
                        let memo = format!("{} {description}", plan.number);
                        let transfer = self.post(
                            at,
                            TransferKind::Invoice,
                            plan.debtor,
                            plan.creditor,
                            v,
                            &memo,
                            (Some(id), None, None),
                            debtor,
                        );
                        if transfer.is_some() {
                            state.paid += v;
                            state.status = next;
                            state.updated = at;
                            self.event(
                                id,
                                "paid_transfer",
                                (Some(v), transfer),
                                String::new(),
                                debtor,
                                at,
                            );
                        }
                    }
                }
            }
        }
    }

    fn request_step(
        &mut self,
        at: i64,
        id: Uuid,
        plan: &RequestPlan,
        state: &mut RequestState,
        step: RequestStep,
    ) {
        if state.status != "open" {
            return;
        }
        match step {
            RequestStep::Pay(q) => {
                let by = self.w.parties[q].actor;
                let posted = self.post(
                    at,
                    TransferKind::Request,
                    q,
                    plan.payee,
                    plan.amount,
                    &plan.memo,
                    (None, Some(id), None),
                    by,
                );
                if posted.is_some() {
                    state.status = "paid";
                    state.payer = Some(q);
                    state.transfer = posted;
                    state.decided = Some(at);
                }
            }
            RequestStep::Decline => {
                state.status = "declined";
                state.decided = Some(at);
            }
            RequestStep::Cancel => {
                state.status = "cancelled";
                state.decided = Some(at);
            }
        }
    }
}

fn shop_memos(kind: Option<K>) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        Some(K::PurchasingGroup) => (GAS_IT, GAS_FR),
        Some(K::ConsumerCoop) | Some(K::MultiStakeholderCoop) => (COOP_IT, COOP_FR),
        Some(K::ProducerCoop) => (PRODUCER_IT, PRODUCER_FR),
        _ => (FARM_SHOP_IT, FARM_SHOP_FR),
    }
}

fn invoice_texts(kind: K) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        K::Farm => (INV_FARM_IT, INV_FARM_FR),
        K::ProducerCoop => (INV_PRODUCER_IT, INV_PRODUCER_FR),
        K::WorkerCoop => (INV_WORKER_IT, INV_WORKER_FR),
        K::MultiStakeholderCoop => (INV_MULTI_IT, INV_MULTI_FR),
        K::ConsumerCoop => (INV_COOP_IT, INV_COOP_FR),
        _ => (INV_SOCIAL_IT, INV_SOCIAL_FR),
    }
}

const PRODUCTS_IT: &[&str] = &[
    "verdura e frutta",
    "formaggi e latticini",
    "farina e pane",
    "carne e salumi",
    "vino e succhi",
    "miele e confetture",
    "uova e latte",
];
const PRODUCTS_FR: &[&str] = &[
    "légumes et fruits",
    "fromages et laitages",
    "farine et pain",
    "viande et charcuterie",
    "vin et jus",
    "miel et confitures",
    "œufs et lait",
];
const GAS_IT: &[&str] = &[
    "Ordine GAS della settimana {week}",
    "Spesa GAS: {product}",
    "Ordine settimanale del gruppo d'acquisto",
    "Quota ordine GAS ({product})",
];
const GAS_FR: &[&str] = &[
    "Commande du groupement, semaine {week}",
    "Commande groupée : {product}",
    "Panier hebdomadaire du groupement d'achat",
];
const COOP_IT: &[&str] = &[
    "Spesa in cooperativa",
    "Spesa settimanale all'emporio",
    "Spesa sfusa: pasta, olio e detersivi",
    "Spesa: {product}",
];
const COOP_FR: &[&str] = &[
    "Courses à la coopérative",
    "Courses de la semaine à l'épicerie coopérative",
    "Vrac : pâtes, huile et lessive",
    "Courses : {product}",
];
const PRODUCER_IT: &[&str] = &[
    "Formaggi della latteria turnaria",
    "Vino e miele della cooperativa",
    "Farina macinata a pietra e pane",
    "Spaccio della cooperativa: {product}",
];
const PRODUCER_FR: &[&str] = &[
    "Fromages de la fruitière",
    "Vin et miel de la coopérative",
    "Farine moulue sur pierre et pain",
    "Magasin de la coopérative : {product}",
];
const FARM_SHOP_IT: &[&str] = &[
    "Cassetta di verdura di stagione",
    "Uova, latte e burro",
    "Fontina e toma",
    "Mele e succo di mela",
    "Patate e cavoli",
    "Spesa in cascina: {product}",
];
const FARM_SHOP_FR: &[&str] = &[
    "Panier de légumes de saison",
    "Œufs, lait et beurre",
    "Tomme et fromage frais",
    "Pommes et jus de pomme",
    "Pommes de terre et choux",
    "Achat à la ferme : {product}",
];
const EXTRA_IT: &[&str] = &[
    "Pane e focaccia",
    "Caffè e colazione",
    "Miele di montagna",
    "Marmellate",
    "Yogurt e ricotta",
    "Erbe aromatiche",
];
const EXTRA_FR: &[&str] = &[
    "Pain et viennoiseries",
    "Café et croissant",
    "Miel de montagne",
    "Confitures",
    "Yaourts et faisselle",
    "Herbes aromatiques",
];
const SERVICE_IT: &[&str] = &[
    "Riparazione della bicicletta",
    "Corso di yoga (10 lezioni)",
    "Laboratorio di cucina",
    "Corso di ceramica",
    "Lavanderia e stiratura",
    "Laboratorio per bambini",
    "Biglietti per lo spettacolo",
];
const SERVICE_FR: &[&str] = &[
    "Réparation du vélo",
    "Cours de yoga (10 séances)",
    "Atelier cuisine",
    "Cours de poterie",
    "Blanchisserie et repassage",
    "Atelier pour les enfants",
    "Places pour le spectacle",
];
const NEIGHBOUR_IT: &[&str] = &[
    "Ripetizioni di matematica",
    "Baby-sitting di sabato",
    "Passaggio in auto a Torino",
    "Marmellate fatte in casa",
    "Metà della spesa condivisa",
    "Aiuto per il trasloco",
    "Legna da ardere",
];
const NEIGHBOUR_FR: &[&str] = &[
    "Cours particuliers de maths",
    "Garde d'enfants samedi",
    "Covoiturage jusqu'à Chambéry",
    "Confitures maison",
    "Moitié des courses partagées",
    "Aide au déménagement",
    "Bois de chauffage",
];
const SHARED_IT: &[&str] = &[
    "Spese condivise della gita in montagna",
    "Quota per il regalo di compleanno",
    "Metà del pieno per il viaggio a Torino",
    "Biglietti del concerto",
];
const SHARED_FR: &[&str] = &[
    "Frais partagés de la randonnée",
    "Participation au cadeau d'anniversaire",
    "Moitié du plein pour Chambéry",
    "Places du concert",
];
const WAGE_IT: &[&str] = &[
    "Quota in crediti dello stipendio di {month}",
    "Compenso di {month} (parte in crediti)",
];
const WAGE_FR: &[&str] = &[
    "Part en crédit du salaire de {month}",
    "Rémunération de {month} (part en crédit)",
];
const VOLUNTEER_IT: &[&str] = &[
    "Rimborso spese volontariato di {month}",
    "Turni di distribuzione di {month}",
];
const VOLUNTEER_FR: &[&str] = &[
    "Remboursement des frais bénévoles de {month}",
    "Permanences de distribution de {month}",
];
const SOLD_IT: &[&str] = &[
    "Ortaggi dell'orto di casa",
    "Miele delle arnie di famiglia",
    "Lavoretti di manutenzione",
    "Aiuto in cucina per la festa",
    "Traduzione del volantino",
];
const SOLD_FR: &[&str] = &[
    "Légumes du potager",
    "Miel des ruches familiales",
    "Petits travaux d'entretien",
    "Aide en cuisine pour la fête",
    "Traduction du tract",
];
const FEE_IT: &[&str] = &["Quota associativa al distretto {year}"];
const FEE_FR: &[&str] = &["Cotisation annuelle au district {year}"];
const ORG_FEE_IT: &[&str] = &["Quota associativa {year} dell'organizzazione"];
const ORG_FEE_FR: &[&str] = &["Cotisation {year} de l'organisation"];
const ORDER_IT: &[&str] = &[
    "Ordine collettivo settimana {week}: {product}",
    "Ordine della settimana {week}",
];
const ORDER_FR: &[&str] = &[
    "Commande collective semaine {week} : {product}",
    "Commande de la semaine {week}",
];
const DELIVERY_IT: &[&str] = &[
    "Conferimento latte di {month}",
    "Conferimento uve",
    "Acquisto di grano e segale",
];
const DELIVERY_FR: &[&str] = &[
    "Collecte du lait de {month}",
    "Achat du raisin",
    "Achat de blé et de seigle",
];
const FARM_IT: &[&str] = &[
    "Sementi e piantine",
    "Mangime per le vacche",
    "Riparazione del trattore",
    "Fieno di montagna",
    "Cassette e imballaggi",
];
const FARM_FR: &[&str] = &[
    "Semences et plants",
    "Aliments pour le troupeau",
    "Réparation du tracteur",
    "Foin de montagne",
    "Cagettes et emballages",
];
const CANTEEN_IT: &[&str] = &["Derrate per la mensa", "Pasti per il centro diurno"];
const CANTEEN_FR: &[&str] = &["Denrées pour la cantine", "Repas du centre de jour"];
const MATERIAL_IT: &[&str] = &["Materiali per il cantiere", "Legname", "Pannelli isolanti"];
const MATERIAL_FR: &[&str] = &[
    "Matériaux pour le chantier",
    "Bois d'œuvre",
    "Panneaux isolants",
];
const EVENT_IT: &[&str] = &[
    "Rinfresco per la festa di quartiere",
    "Catering per l'assemblea",
    "Stampa dei volantini",
];
const EVENT_FR: &[&str] = &[
    "Buffet pour la fête de quartier",
    "Traiteur pour l'assemblée",
    "Impression des tracts",
];
const RENT_IT: &[&str] = &["Affitto della sala di {month}"];
const RENT_FR: &[&str] = &["Location de la salle, {month}"];
const PUBLIC_IT: &[&str] = &[
    "Convenzione servizi di {month}",
    "Contributo al progetto di comunità",
];
const PUBLIC_FR: &[&str] = &[
    "Convention de services, {month}",
    "Subvention au projet de quartier",
];
const FEES_TO_FUND: &str = "Giroconto delle quote al fondo comune ({month})";
const GRANT_IT: &[&str] = &[
    "Bilancio partecipativo {year}: orto condiviso",
    "Bilancio partecipativo {year}: biblioteca degli attrezzi",
    "Bilancio partecipativo {year}: festa del raccolto",
    "Bilancio partecipativo {year}: furgone frigo condiviso",
    "Bilancio partecipativo {year}: corsi di italiano",
    "Bilancio partecipativo {year}: doposcuola",
];
const BOX_IT: &[&str] = &["Abbonamento cassetta di {month}", "Quota CSA di {month}"];
const BOX_FR: &[&str] = &["Panier AMAP de {month}", "Contrat AMAP, {month}"];
const STALL_IT: &[&str] = &[
    "Banco al mercato contadino di sabato",
    "Vendita diretta in cascina",
];
const STALL_FR: &[&str] = &[
    "Stand au marché paysan du samedi",
    "Vente directe à la ferme",
];
const SHARED_ORG_IT: &[&str] = &[
    "Rimborso trasporto condiviso di {month}",
    "Quota spese del mercato di {month}",
    "Noleggio del furgone frigo",
];
const SHARED_ORG_FR: &[&str] = &[
    "Remboursement du transport partagé, {month}",
    "Participation aux frais du marché, {month}",
    "Location du camion frigorifique",
];
const REVERSAL_IT: &str = "Storno: pagamento inviato per errore";
const REVERSAL_FR: &str = "Annulation : paiement envoyé par erreur";
const DISPUTE_IT: &[&str] = &[
    "Quantità consegnata inferiore a quella fatturata",
    "Prezzo diverso dal preventivo concordato",
    "Lavoro non ancora concluso",
    "Fattura già pagata in contanti",
    "Merce arrivata danneggiata",
];
const DISPUTE_FR: &[&str] = &[
    "Quantité livrée inférieure à la quantité facturée",
    "Prix différent du devis accepté",
    "Travaux pas encore terminés",
    "Facture déjà réglée en espèces",
    "Marchandise arrivée abîmée",
];
const RECORD_IT: &[&str] = &[
    "Bonifico ricevuto il {date}",
    "Pagato in contanti alla consegna",
];
const RECORD_FR: &[&str] = &["Virement reçu le {date}", "Réglé en espèces à la livraison"];
const INV_FARM_IT: &[&str] = &[
    "Fornitura di {n} forme di fontina, consegne di {month}",
    "Verdura per la mensa, {month}",
    "Fieno e paglia, consegna di {month}",
    "Latte crudo conferito a {month}",
];
const INV_FARM_FR: &[&str] = &[
    "Livraison de {n} meules de tomme, {month}",
    "Légumes pour la cantine, {month}",
    "Foin et paille, livraison de {month}",
    "Lait cru livré en {month}",
];
const INV_PRODUCER_IT: &[&str] = &[
    "Formaggi e latticini per il punto vendita, {month}",
    "Vino in cartoni da 6, ordine di {month}",
    "Farina macinata a pietra, {month}",
];
const INV_PRODUCER_FR: &[&str] = &[
    "Fromages pour le magasin, {month}",
    "Vin en cartons de 6, commande de {month}",
    "Farine moulue sur pierre, {month}",
];
const INV_WORKER_IT: &[&str] = &[
    "Manutenzione dell'impianto frigorifero",
    "Lavori di falegnameria: nuovi scaffali",
    "Sito web e assistenza, {month}",
    "Impianto fotovoltaico: acconto",
    "Grafica e stampa del catalogo",
];
const INV_WORKER_FR: &[&str] = &[
    "Entretien de la chambre froide",
    "Menuiserie : nouvelles étagères",
    "Site web et maintenance, {month}",
    "Installation photovoltaïque : acompte",
    "Graphisme et impression du catalogue",
];
const INV_SOCIAL_IT: &[&str] = &[
    "Servizio di pulizia, {month}",
    "Consegne a domicilio, {month}",
    "Tenuta della contabilità, {month}",
    "Catering per l'assemblea dei soci",
    "Manutenzione del verde, {month}",
];
const INV_SOCIAL_FR: &[&str] = &[
    "Service de ménage, {month}",
    "Livraisons à domicile, {month}",
    "Tenue de la comptabilité, {month}",
    "Traiteur pour l'assemblée générale",
    "Entretien des espaces verts, {month}",
];
const INV_MULTI_IT: &[&str] = &[
    "Energia dalla comunità energetica, {month}",
    "Trasporto merci con il furgone condiviso, {month}",
];
const INV_MULTI_FR: &[&str] = &[
    "Électricité de la communauté énergétique, {month}",
    "Transport avec le camion partagé, {month}",
];
const INV_COOP_IT: &[&str] = &[
    "Prodotti per la mensa, {month}",
    "Rinfresco per l'evento del {n}",
];
const INV_COOP_FR: &[&str] = &[
    "Fournitures pour la cantine, {month}",
    "Buffet pour l'événement du {n}",
];
