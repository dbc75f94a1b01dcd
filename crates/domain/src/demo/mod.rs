//! The demo district: a deterministic synthetic district for demos, tests and load measurements.
//!
//! Every value is drawn from a ChaCha8 stream keyed by `(seed, stream, index)`, so any record can
//! be produced on its own. That gives three properties at once: the same seed yields the same
//! district on every machine; the district is produced in independent [`DemoBatch`]es, so the
//! national scale (half a million people) never sits in memory whole; and a person's membership
//! can name an organisation (its id, kind, place) without generating the organisation first.
//!
//! Timestamps fall in the year before [`BASE_DATE`], a fixed instant rather than the wall clock,
//! so two runs agree to the microsecond.

pub mod governance;
pub mod impact;
pub mod market_listings;
pub mod market_resources;
mod places;
pub mod trade;
mod words;

use crate::directory::{
    CHARTER_VERSION, OrganizationKind, OrganizationProfile, OrganizationStatus, Sector, WorkersFte,
};
use crate::membership::{ApplicationKind, Decision, MemberRole, MembershipStatus, Role};
use places::{Lang, Ring, TOWNS, Town};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How big a demo district is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scale {
    /// One district around Aosta: 160 organisations, 1,000 people.
    District,
    /// Valle d'Aosta and its neighbours: 6,000 organisations, 50,000 people.
    Region,
    /// A national network over Italy and France: 60,000 organisations, 500,000 people.
    National,
}

impl Scale {
    /// Every scale, smallest first.
    pub const ALL: [Scale; 3] = [Scale::District, Scale::Region, Scale::National];

    /// Parses `district`, `region` or `national`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "district" => Some(Self::District),
            "region" => Some(Self::Region),
            "national" => Some(Self::National),
            _ => None,
        }
    }

    /// The stable code, as the command line takes it.
    pub const fn code(self) -> &'static str {
        match self {
            Self::District => "district",
            Self::Region => "region",
            Self::National => "national",
        }
    }

    /// How many organisations the scale generates (pending and suspended ones included).
    pub const fn organizations(self) -> u32 {
        match self {
            Self::District => 160,
            Self::Region => 6_000,
            Self::National => 60_000,
        }
    }

    /// How many people `person-1` … `person-N` the scale generates (the coordinator is extra).
    pub const fn people(self) -> u32 {
        match self {
            Self::District => 1_000,
            Self::Region => 50_000,
            Self::National => 500_000,
        }
    }

    /// Consecutive organisations sharing a town: 1 spreads a small district over every village;
    /// larger blocks give big towns clusters of neighbours that people can join together.
    const fn town_block(self) -> u32 {
        match self {
            Self::District => 1,
            Self::Region => 10,
            Self::National => 25,
        }
    }

    /// How much each ring of places weighs at this scale (0: not used).
    const fn ring_weight(self, ring: Ring) -> u64 {
        match (self, ring) {
            (Self::District, Ring::Valley) => 1,
            (Self::District, _) => 0,
            (Self::Region, Ring::Valley) => 4,
            (Self::Region, Ring::Near) => 2,
            (Self::Region, Ring::Far) => 0,
            (Self::National, Ring::Valley) => 1,
            (Self::National, _) => 4,
        }
    }
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The centre of the demo district (Aosta), latitude and longitude: where a map starts.
pub const CENTRE: (f64, f64) = (45.737, 7.320);

/// The login of the demo coordinator.
pub const COORDINATOR_EMAIL: &str = "coordinator@distretto.example";

/// The login of demo person `n` (1-based), as CONTRACT.md promises.
pub fn person_email(n: u32) -> String {
    format!("person-{n}@distretto.example")
}

/// The demo's "today": every generated timestamp falls in the year before it. Fixed, so that the
/// same seed gives the same database whenever it is generated.
pub const BASE_DATE: OffsetDateTime = time::macros::datetime!(2026-11-01 00:00 UTC);

/// Organisations per batch: small enough to keep a batch's rows in memory, large enough that
/// multi-row inserts amortise their transactions.
pub const ORGANIZATIONS_PER_BATCH: u32 = 5_000;
/// People per batch (with their memberships, accounts, decisions and applications).
pub const PEOPLE_PER_BATCH: u32 = 10_000;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// The first day of the demo year.
const START: OffsetDateTime = BASE_DATE.saturating_sub(Duration::days(365));

/// Which demo district to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DemoSpec {
    /// Its size.
    pub scale: Scale,
    /// Its seed: the same seed gives the same district.
    pub seed: u64,
}

/// An organisation of the demo district.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOrganization {
    /// Deterministic id.
    pub id: Uuid,
    /// Every profile field, filled.
    pub profile: OrganizationProfile,
    /// `active` for most; a few `pending` (awaiting review) and `suspended`.
    pub status: OrganizationStatus,
    /// The charter signed on admission ([`CHARTER_VERSION`]); `None` while pending.
    pub charter_version: Option<&'static str>,
    /// When the charter was signed (the admission).
    pub charter_signed_at: Option<OffsetDateTime>,
    /// When the organisation applied.
    pub created_at: OffsetDateTime,
    /// Its last status change.
    pub updated_at: OffsetDateTime,
}

/// A person of the demo district.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPerson {
    /// Deterministic id.
    pub id: Uuid,
    /// [`COORDINATOR_EMAIL`] or [`person_email`].
    pub email: String,
    /// A realistic Italian or French name.
    pub name: String,
    /// `coordinator` for the coordinator, `person` for everyone else.
    pub role: Role,
    /// `member` for most; a few `pending` and `suspended`.
    pub membership_status: MembershipStatus,
    /// Preferred language (`it`, `fr`, `en`), or none to follow the browser.
    pub locale: Option<&'static str>,
    /// Mobile number, for most.
    pub phone: Option<String>,
    /// A line about themselves, for most.
    pub bio: String,
    /// Where they live.
    pub locality: String,
    /// Registration.
    pub created_at: OffsetDateTime,
    /// Last status change.
    pub updated_at: OffsetDateTime,
}

/// A person's place in an organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoMembership {
    /// The person.
    pub person_id: Uuid,
    /// The organisation.
    pub organization_id: Uuid,
    /// `admin` for the organisation's founder, `member` otherwise.
    pub role: MemberRole,
    /// When it began.
    pub created_at: OffsetDateTime,
}

/// A pending application, waiting in the coordinators' review queue.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoApplication {
    /// Deterministic id.
    pub id: Uuid,
    /// The applicant.
    pub person_id: Uuid,
    /// What they apply for.
    pub kind: ApplicationKind,
    /// The organisation applied for or brought in (none for an individual application).
    pub organization_id: Option<Uuid>,
    /// The applicant's message.
    pub message: String,
    /// When they applied.
    pub created_at: OffsetDateTime,
}

/// Whom a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSubject {
    /// An organisation.
    Organization(Uuid),
    /// A person.
    Person(Uuid),
}

impl DemoSubject {
    /// The stored subject kind: `organization` or `person`.
    pub const fn kind_code(self) -> &'static str {
        match self {
            Self::Organization(_) => "organization",
            Self::Person(_) => "person",
        }
    }

    /// The subject's id.
    pub const fn id(self) -> Uuid {
        match self {
            Self::Organization(id) | Self::Person(id) => id,
        }
    }
}

/// An entry of the decision log.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDecision {
    /// Deterministic id.
    pub id: Uuid,
    /// Whom it is about.
    pub subject: DemoSubject,
    /// `admit` or `suspend`.
    pub decision: Decision,
    /// The coordinator's reason, in the subject's language.
    pub reason: String,
    /// The coordinator; none for the coordinator's own admission by the founding assembly.
    pub decided_by: Option<Uuid>,
    /// When.
    pub decided_at: OffsetDateTime,
}

/// What a district-owned account is for (stored as the account's `purpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistrictPurpose {
    /// The district fund members budget together.
    Fund,
    /// Fees collected by the district.
    Fees,
}

/// Who owns a demo account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoOwner {
    /// A person's personal account.
    Person(Uuid),
    /// An admitted organisation's account.
    Organization(Uuid),
    /// A district system account.
    District(DistrictPurpose),
}

impl DistrictPurpose {
    /// The stored purpose code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Fund => "fund",
            Self::Fees => "fees",
        }
    }
}

impl DemoOwner {
    /// The stored owner kind: `person`, `organization` or `district`.
    pub const fn kind_code(self) -> &'static str {
        match self {
            Self::Person(_) => "person",
            Self::Organization(_) => "organization",
            Self::District(_) => "district",
        }
    }

    /// The stored owner id (none for the district).
    pub const fn id(self) -> Option<Uuid> {
        match self {
            Self::Person(id) | Self::Organization(id) => Some(id),
            Self::District(_) => None,
        }
    }
}

/// A ledger account of the demo district (its currency is the caller's choice).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAccount {
    /// Deterministic id.
    pub id: Uuid,
    /// Its owner.
    pub owner: DemoOwner,
    /// When it was opened.
    pub created_at: OffsetDateTime,
    /// Whose default limits it gets.
    pub limit_holder: crate::ledger::LimitHolder,
}

/// One independent slice of the district, insertable in field order: organisations, people,
/// memberships, applications, decisions, accounts. Batches come in dependency order: the first
/// holds the coordinator and the district accounts, then organisations, then people.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DemoBatch {
    /// Organisations.
    pub organizations: Vec<DemoOrganization>,
    /// People.
    pub people: Vec<DemoPerson>,
    /// Memberships of this batch's people (in organisations of earlier batches).
    pub memberships: Vec<DemoMembership>,
    /// Pending applications of this batch's people.
    pub applications: Vec<DemoApplication>,
    /// Decision log entries about this batch's organisations and people.
    pub decisions: Vec<DemoDecision>,
    /// Accounts of this batch's organisations and people.
    pub accounts: Vec<DemoAccount>,
}

impl DemoBatch {
    /// Organisations plus people in the batch: the unit of progress.
    pub fn entity_count(&self) -> u64 {
        (self.organizations.len() + self.people.len()) as u64
    }
}

impl DemoSpec {
    /// A spec.
    pub const fn new(scale: Scale, seed: u64) -> Self {
        Self { scale, seed }
    }

    /// Organisations generated, of every status.
    pub const fn organization_count(&self) -> u32 {
        self.scale.organizations()
    }

    /// People `person-1` … `person-N` (the coordinator not counted).
    pub const fn person_count(&self) -> u32 {
        self.scale.people()
    }

    /// Organisations plus people, coordinator included: the total of progress reports.
    pub const fn entity_count(&self) -> u64 {
        self.organization_count() as u64 + self.person_count() as u64 + 1
    }

    const fn organization_batches(&self) -> u32 {
        self.organization_count().div_ceil(ORGANIZATIONS_PER_BATCH)
    }

    const fn people_batches(&self) -> u32 {
        self.person_count().div_ceil(PEOPLE_PER_BATCH)
    }

    /// How many batches [`DemoSpec::batch`] answers.
    pub const fn batch_count(&self) -> u32 {
        1 + self.organization_batches() + self.people_batches()
    }

    /// Batch `index` (`0 ≤ index < batch_count()`); `None` beyond.
    pub fn batch(&self, index: u32) -> Option<DemoBatch> {
        let g = Generator::new(*self);
        let orgs = self.organization_batches();
        if index == 0 {
            Some(g.foundation())
        } else if index <= orgs {
            let first = (index - 1) * ORGANIZATIONS_PER_BATCH;
            let end = (first + ORGANIZATIONS_PER_BATCH).min(self.organization_count());
            let mut b = DemoBatch {
                organizations: Vec::with_capacity((end - first) as usize),
                accounts: Vec::with_capacity((end - first) as usize),
                decisions: Vec::with_capacity((end - first) as usize),
                ..DemoBatch::default()
            };
            for o in first..end {
                g.organization(o).push_into(&mut b);
            }
            Some(b)
        } else if index < self.batch_count() {
            let first = 1 + (index - 1 - orgs) * PEOPLE_PER_BATCH;
            let end = (first + PEOPLE_PER_BATCH).min(self.person_count() + 1);
            let n = (end - first) as usize;
            let mut b = DemoBatch {
                people: Vec::with_capacity(n),
                memberships: Vec::with_capacity(n * 2),
                accounts: Vec::with_capacity(n),
                decisions: Vec::with_capacity(n),
                ..DemoBatch::default()
            };
            for p in first..end {
                g.person(p, &mut b);
            }
            Some(b)
        } else {
            None
        }
    }

    /// Every batch in insertion order, generated one at a time.
    pub fn batches(self) -> impl Iterator<Item = DemoBatch> {
        (0..self.batch_count()).filter_map(move |i| self.batch(i))
    }

    /// The id of organisation `index` (0-based).
    pub fn organization_id(&self, index: u32) -> Uuid {
        stream_id(self.seed, Stream::OrgId, u64::from(index))
    }

    /// The id of person `n` (`person-n`; 0 is the coordinator).
    pub fn person_id(&self, n: u32) -> Uuid {
        stream_id(self.seed, Stream::PersonId, u64::from(n))
    }

    /// The coordinator's id.
    pub fn coordinator_id(&self) -> Uuid {
        self.person_id(0)
    }

    /// The person who founded organisation `index` and administers it: `person-(index+1)`, as
    /// the people's parts are laid out.
    pub fn founder_id(&self, index: u32) -> Uuid {
        self.person_id(index + 1)
    }

    /// The status organisation `index` has: a fixed pattern, so that people can tell which
    /// organisations they may join without generating them. The first ten (one of each kind)
    /// are always active.
    fn organization_status(&self, index: u32) -> OrganizationStatus {
        if index < 10 {
            OrganizationStatus::Active
        } else if index % 50 == 49 {
            OrganizationStatus::Pending
        } else if index % 100 == 73 {
            OrganizationStatus::Suspended
        } else {
            OrganizationStatus::Active
        }
    }

    /// The part person `n` plays. People up to the organisation count found organisation `n-1`
    /// and are plain members; the special cases are drawn among the others, at fixed positions
    /// (at district scale: person-247 and 747 ask to join an organisation, 248, 498, 748 and 998
    /// apply individually, 999 is suspended).
    fn person_part(&self, n: u32) -> PersonPart {
        if n == 0 {
            PersonPart::Coordinator
        } else if n <= self.organization_count() {
            PersonPart::Founder
        } else if n % 1000 == 999 {
            PersonPart::Suspended
        } else if n % 250 == 248 {
            PersonPart::PendingIndividual
        } else if n % 500 == 247 {
            PersonPart::JoiningOrganization
        } else {
            PersonPart::Member
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PersonPart {
    Coordinator,
    Founder,
    Member,
    PendingIndividual,
    JoiningOrganization,
    Suspended,
}

/// Independent random streams; the number is part of the ChaCha key, so adding a stream never
/// changes what the others draw.
#[derive(Debug, Clone, Copy)]
enum Stream {
    OrgId = 1,
    OrgSkeleton = 2,
    OrgTown = 3,
    OrgDetail = 4,
    OrgAccount = 5,
    OrgDecision = 6,
    PersonId = 7,
    PersonDetail = 8,
    PersonAccount = 9,
    PersonDecision = 10,
    Application = 11,
    DistrictAccount = 12,
    /// Planning draws of the trade, one stream per trading account ([`trade`]).
    Trade = 13,
    /// Transfer ids, indexed by journal sequence number.
    Transfer = 14,
    /// Invoice ids.
    Invoice = 15,
    /// Invoice event ids.
    InvoiceEvent = 16,
    /// Payment request ids.
    PaymentRequest = 17,
    /// Planning draws of solidarity purchasing, one stream per producer, group or farm.
    Purchasing = 18,
    /// Purchasing ids: products, pickup points, cycles, orders, plans, subscriptions.
    PurchasingId = 19,
    /// Planning draws of governance: turnout and choices, one stream per proposal.
    Governance = 20,
    /// Governance ids: bodies, colleges, proposals, comments.
    GovernanceId = 21,
    /// Planning draws of shared resources and their bookings, one stream per resource.
    Resources = 22,
    /// Resource and booking ids.
    ResourcesId = 23,
    /// Impact surveys, one stream per organisation (by its place among those surveyed).
    ImpactSurvey = 24,
}

fn stream_rng(seed: u64, stream: Stream, index: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(stream as u64).to_le_bytes());
    key[16..24].copy_from_slice(&index.to_le_bytes());
    key[24..].copy_from_slice(b"distrett");
    ChaCha8Rng::from_seed(key)
}

/// The millisecond prefix of the first demo id: the first day of the demo year.
const ID_EPOCH_MS: u64 = START.unix_timestamp() as u64 * 1_000;
/// Milliseconds of id prefix reserved per stream (a little over a day; indexes stay below it).
const ID_STREAM_SPAN_MS: u64 = 100_000_000;

/// A version 7 UUID, like the ones the platform creates, that depends only on the seed, stream
/// and index: its time prefix grows with the index (in a range of its own per stream) and its 74
/// random bits come from the stream. Ids therefore sort in generation order, as live v7 ids sort
/// in creation order, so loading a district appends to the primary-key indexes instead of
/// rewriting them on every batch (random ids made the national load several times slower).
fn stream_id(seed: u64, stream: Stream, index: u64) -> Uuid {
    let mut random = [0u8; 10];
    stream_rng(seed, stream, index).fill_bytes(&mut random);
    let millis = ID_EPOCH_MS + stream as u64 * ID_STREAM_SPAN_MS + index;
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn weighted<T: Copy>(rng: &mut impl Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

/// A random duration in `[lo_s, hi_s)` seconds.
fn seconds(rng: &mut impl Rng, lo_s: i64, hi_s: i64) -> Duration {
    Duration::seconds(rng.random_range(lo_s..hi_s))
}

/// What a person needs to know of an organisation: cheap to compute, without its texts.
#[derive(Debug, Clone, Copy)]
struct OrgSkeleton {
    index: u32,
    kind: OrganizationKind,
    town: &'static Town,
    status: OrganizationStatus,
    created_at: OffsetDateTime,
    admitted_at: Option<OffsetDateTime>,
    suspended_at: Option<OffsetDateTime>,
}

/// One organisation with the rows that come with it.
struct OrgOut {
    organization: DemoOrganization,
    account: Option<DemoAccount>,
    decisions: Vec<DemoDecision>,
}

impl OrgOut {
    fn push_into(self, b: &mut DemoBatch) {
        b.organizations.push(self.organization);
        b.accounts.extend(self.account);
        b.decisions.extend(self.decisions);
    }
}

struct Generator {
    spec: DemoSpec,
    /// The scale's places with cumulative weights, for weighted picks by binary search.
    towns: Vec<(&'static Town, u64)>,
    total_weight: u64,
}

impl Generator {
    fn new(spec: DemoSpec) -> Self {
        let mut towns = Vec::with_capacity(TOWNS.len());
        let mut total_weight = 0;
        for t in TOWNS {
            let w = u64::from(t.weight) * spec.scale.ring_weight(t.ring);
            if w > 0 {
                total_weight += w;
                towns.push((t, total_weight));
            }
        }
        Self {
            spec,
            towns,
            total_weight,
        }
    }

    fn seed(&self) -> u64 {
        self.spec.seed
    }

    fn pick_town(&self, rng: &mut impl Rng) -> &'static Town {
        let x = rng.random_range(0..self.total_weight.max(1));
        let i = self.towns.partition_point(|(_, c)| *c <= x);
        self.towns
            .get(i)
            .or(self.towns.last())
            .map_or(&TOWNS[0], |(t, _)| *t)
    }

    fn org_skeleton(&self, o: u32) -> OrgSkeleton {
        let mut rng = stream_rng(self.seed(), Stream::OrgSkeleton, u64::from(o));
        let kind = match OrganizationKind::ALL.get(o as usize) {
            Some(k) => *k,
            None => weighted(&mut rng, words::KIND_WEIGHTS),
        };
        let block = o / self.spec.scale.town_block();
        let town = self.pick_town(&mut stream_rng(
            self.seed(),
            Stream::OrgTown,
            u64::from(block),
        ));
        let status = self.spec.organization_status(o);
        let (created_at, admitted_at, suspended_at) = if status == OrganizationStatus::Pending {
            (BASE_DATE - seconds(&mut rng, DAY, 20 * DAY), None, None)
        } else {
            let created = START + seconds(&mut rng, 0, 330 * DAY);
            let admitted = created + seconds(&mut rng, DAY, 20 * DAY);
            let suspended = (status == OrganizationStatus::Suspended)
                .then(|| admitted + seconds(&mut rng, DAY, 14 * DAY));
            (created, Some(admitted), suspended)
        };
        OrgSkeleton {
            index: o,
            kind,
            town,
            status,
            created_at,
            admitted_at,
            suspended_at,
        }
    }

    fn organization(&self, o: u32) -> OrgOut {
        let sk = self.org_skeleton(o);
        let id = self.spec.organization_id(o);
        let mut rng = stream_rng(self.seed(), Stream::OrgDetail, u64::from(o));
        let french = org_french(sk.town, &mut rng);
        let kind = sk.kind;
        let sector = weighted(&mut rng, words::sectors(kind));
        let (lat, lon) = self.position(sk.town, &mut rng);
        let founded_year = founded_year(kind, &mut rng);
        let (workers_fte, volunteers) = staff(kind, &mut rng);
        let name = org_name(kind, sector, french, sk.town, &mut rng);
        let description = description(
            kind,
            sector,
            french,
            sk.town,
            founded_year,
            volunteers,
            &mut rng,
        );
        let slug = slug(&name);
        let website = if rng.random_bool(0.5) {
            format!("https://{slug}.example")
        } else {
            format!("https://www.{slug}.example")
        };
        let contact_email = format!("{}@{slug}.example", if french { "contact" } else { "info" });
        let phone = landline(sk.town, &mut rng);
        let address = address(sk.town, french, &mut rng);
        let mut legal_form = *pick(&mut rng, words::legal_forms(kind, french));
        if kind == OrganizationKind::PublicPartner {
            if name.starts_with("Comune ") {
                legal_form = "Comune";
            } else if name.starts_with("Commune ") {
                legal_form = "Commune";
            }
        }
        let admit_reason = *pick(
            &mut rng,
            if french {
                words::ADMIT_ORG_FR
            } else {
                words::ADMIT_ORG_IT
            },
        );
        let profile = OrganizationProfile {
            name,
            kind,
            legal_form: legal_form.to_owned(),
            sector,
            description,
            website: Some(website),
            contact_email: Some(contact_email),
            phone: Some(phone),
            address,
            postcode: sk.town.postcode.to_owned(),
            locality: sk.town.name.to_owned(),
            lat: Some(lat),
            lon: Some(lon),
            founded_year: Some(founded_year),
            workers_fte: WorkersFte(workers_fte),
            volunteers,
        };
        let coordinator = Some(self.spec.coordinator_id());
        let mut decisions = Vec::new();
        if let Some(admitted) = sk.admitted_at {
            decisions.push(DemoDecision {
                id: stream_id(self.seed(), Stream::OrgDecision, u64::from(o) * 2),
                subject: DemoSubject::Organization(id),
                decision: Decision::Admit,
                reason: admit_reason.to_owned(),
                decided_by: coordinator,
                decided_at: admitted,
            });
        }
        if let Some(suspended) = sk.suspended_at {
            decisions.push(DemoDecision {
                id: stream_id(self.seed(), Stream::OrgDecision, u64::from(o) * 2 + 1),
                subject: DemoSubject::Organization(id),
                decision: Decision::Suspend,
                reason: if french {
                    words::SUSPEND_ORG_FR
                } else {
                    words::SUSPEND_ORG_IT
                }
                .to_owned(),
                decided_by: coordinator,
                decided_at: suspended,
            });
        }
        let account = self.org_account(&sk);
        OrgOut {
            organization: DemoOrganization {
                id,
                profile,
                status: sk.status,
                charter_version: sk.admitted_at.map(|_| CHARTER_VERSION),
                charter_signed_at: sk.admitted_at,
                created_at: sk.created_at,
                updated_at: sk.suspended_at.or(sk.admitted_at).unwrap_or(sk.created_at),
            },
            account,
            decisions,
        }
    }

    /// The account of an admitted organisation, opened on its admission.
    fn org_account(&self, sk: &OrgSkeleton) -> Option<DemoAccount> {
        sk.admitted_at.map(|admitted| DemoAccount {
            id: stream_id(self.seed(), Stream::OrgAccount, u64::from(sk.index)),
            owner: DemoOwner::Organization(self.spec.organization_id(sk.index)),
            created_at: admitted,
            limit_holder: crate::ledger::LimitHolder::Organization(sk.kind),
        })
    }

    /// The town's position plus a jitter of about a kilometre (a few in cities), rounded to
    /// five decimals (about a metre) so the numbers read well.
    fn position(&self, town: &Town, rng: &mut impl Rng) -> (f64, f64) {
        let spread = if town.ring == Ring::Valley {
            0.01
        } else {
            0.025
        };
        let lat = town.lat + rng.random_range(-spread..spread);
        let lon = town.lon + rng.random_range(-spread..spread) * 1.4;
        ((lat * 1e5).round() / 1e5, (lon * 1e5).round() / 1e5)
    }

    /// The coordinator, the district accounts and the coordinator's admission.
    fn foundation(&self) -> DemoBatch {
        let id = self.spec.coordinator_id();
        let mut rng = stream_rng(self.seed(), Stream::PersonDetail, 0);
        let french = rng.random_bool(0.35);
        let name = person_name(&TOWNS[0], french, &mut rng);
        let phone = mobile(false, &mut rng);
        let created = START - Duration::days(30);
        let admitted = created + Duration::hours(1);
        let coordinator = DemoPerson {
            id,
            email: COORDINATOR_EMAIL.to_owned(),
            name,
            role: Role::Coordinator,
            membership_status: MembershipStatus::Member,
            // The operator's account has not chosen a language: pages follow the browser.
            locale: None,
            phone: Some(phone),
            bio: if french {
                "Je coordonne les admissions, les cycles de commande et les assemblées du district."
            } else {
                "Coordino le ammissioni, i cicli d'ordine e le assemblee del distretto."
            }
            .to_owned(),
            locality: TOWNS[0].name.to_owned(),
            created_at: created,
            updated_at: admitted,
        };
        let district = |n: u64, purpose| DemoAccount {
            id: stream_id(self.seed(), Stream::DistrictAccount, n),
            owner: DemoOwner::District(purpose),
            created_at: created,
            limit_holder: crate::ledger::LimitHolder::District,
        };
        DemoBatch {
            people: vec![coordinator],
            decisions: vec![DemoDecision {
                id: stream_id(self.seed(), Stream::PersonDecision, 0),
                subject: DemoSubject::Person(id),
                decision: Decision::Admit,
                reason: words::COORDINATOR_REASON.to_owned(),
                decided_by: None,
                decided_at: admitted,
            }],
            accounts: vec![
                district(0, DistrictPurpose::Fund),
                district(1, DistrictPurpose::Fees),
                DemoAccount {
                    id: stream_id(self.seed(), Stream::PersonAccount, 0),
                    owner: DemoOwner::Person(id),
                    created_at: admitted,
                    limit_holder: crate::ledger::LimitHolder::Person,
                },
            ],
            ..DemoBatch::default()
        }
    }

    /// A random active organisation; with `households_first`, preferably a purchasing group or
    /// consumer cooperative (where most citizens meet the district). Bounded tries.
    fn pick_active_org(&self, rng: &mut impl Rng, households_first: bool) -> Option<OrgSkeleton> {
        const TRIES: u32 = 12;
        let n = self.spec.organization_count();
        for attempt in 0..TRIES {
            let o = rng.random_range(0..n);
            if self.spec.organization_status(o) != OrganizationStatus::Active {
                continue;
            }
            let sk = self.org_skeleton(o);
            let household = matches!(
                sk.kind,
                OrganizationKind::PurchasingGroup | OrganizationKind::ConsumerCoop
            );
            if households_first && !household && attempt + 1 < TRIES {
                continue;
            }
            return Some(sk);
        }
        None
    }

    /// An active organisation near `anchor` in index order (so, at larger scales, in the same
    /// or a neighbouring town), not already in `taken`. Bounded tries.
    fn pick_nearby_org(&self, rng: &mut impl Rng, anchor: u32, taken: &[u32]) -> Option<u32> {
        let n = self.spec.organization_count();
        let half = (4 * self.spec.scale.town_block()).max(12);
        let lo = anchor.saturating_sub(half);
        let hi = (anchor + half + 1).min(n);
        for _ in 0..6 {
            let o = rng.random_range(lo..hi);
            if self.spec.organization_status(o) == OrganizationStatus::Active && !taken.contains(&o)
            {
                return Some(o);
            }
        }
        None
    }

    fn person(&self, n: u32, out: &mut DemoBatch) {
        let spec = self.spec;
        let seed = self.seed();
        let id = spec.person_id(n);
        let part = spec.person_part(n);
        let mut rng = stream_rng(seed, Stream::PersonDetail, u64::from(n));

        // Organisations first: they decide where the person lives.
        let founded = (part == PersonPart::Founder).then(|| self.org_skeleton(n - 1));
        let mut orgs: Vec<(OrgSkeleton, MemberRole)> =
            founded.iter().map(|sk| (*sk, MemberRole::Admin)).collect();
        let wanted = if part == PersonPart::PendingIndividual {
            0
        } else {
            weighted(&mut rng, &[(0usize, 20), (1, 50), (2, 22), (3, 8)])
        };
        let mut anchor = founded.map(|sk| sk.index);
        if anchor.is_none() && wanted > 0 {
            let households_first = rng.random_bool(0.5);
            if let Some(sk) = self.pick_active_org(&mut rng, households_first) {
                anchor = Some(sk.index);
                orgs.push((sk, MemberRole::Member));
            }
        }
        if let Some(anchor) = anchor {
            while orgs.len() < wanted + usize::from(founded.is_some()) {
                let taken: Vec<u32> = orgs.iter().map(|(sk, _)| sk.index).collect();
                match self.pick_nearby_org(&mut rng, anchor, &taken) {
                    Some(o) => orgs.push((self.org_skeleton(o), MemberRole::Member)),
                    None => break,
                }
            }
        }
        let town = match orgs.first() {
            Some((sk, _)) => sk.town,
            None => self.pick_town(&mut rng),
        };
        let french = match town.lang {
            Lang::It => false,
            Lang::Fr => true,
            Lang::Both => rng.random_bool(0.35),
        };
        let name = person_name(town, french, &mut rng);
        let locale = match rng.random_range(0..100) {
            0..8 => None,
            8..11 => Some("en"),
            _ if french => Some("fr"),
            _ => Some("it"),
        };
        let in_france = town.lang == Lang::Fr;
        let phone = rng.random_bool(0.7).then(|| mobile(in_france, &mut rng));
        let bio = if rng.random_bool(0.6) {
            (*pick(&mut rng, if french { words::BIO_FR } else { words::BIO_IT })).to_owned()
        } else {
            String::new()
        };

        // Times: registration, admission, suspension.
        let created_at = match (founded, part) {
            (Some(sk), _) => sk.created_at - seconds(&mut rng, HOUR, 72 * HOUR),
            (None, PersonPart::PendingIndividual) => BASE_DATE - seconds(&mut rng, DAY, 25 * DAY),
            (None, PersonPart::Suspended) => START + seconds(&mut rng, 0, 300 * DAY),
            (None, _) => START + seconds(&mut rng, 0, 350 * DAY),
        };
        let last = BASE_DATE - Duration::hours(1);
        let admitted_at = (part != PersonPart::PendingIndividual)
            .then(|| (created_at + seconds(&mut rng, HOUR, 10 * DAY)).min(last));
        let suspended_at = match (part, admitted_at) {
            (PersonPart::Suspended, Some(a)) => {
                Some((a + seconds(&mut rng, 7 * DAY, 60 * DAY)).min(last))
            }
            _ => None,
        };
        let membership_status = match part {
            PersonPart::PendingIndividual => MembershipStatus::Pending,
            PersonPart::Suspended => MembershipStatus::Suspended,
            _ => MembershipStatus::Member,
        };

        for (sk, role) in &orgs {
            let created = match role {
                // Founders joined when they applied with the organisation.
                MemberRole::Admin => sk.created_at,
                MemberRole::Member => {
                    let since = admitted_at
                        .unwrap_or(created_at)
                        .max(sk.admitted_at.unwrap_or(sk.created_at));
                    (since + seconds(&mut rng, 0, 7 * DAY)).min(last)
                }
            };
            out.memberships.push(DemoMembership {
                person_id: id,
                organization_id: spec.organization_id(sk.index),
                role: *role,
                created_at: created,
            });
        }

        let coordinator = Some(spec.coordinator_id());
        if let Some(a) = admitted_at {
            let pool = if french {
                words::ADMIT_PERSON_FR
            } else {
                words::ADMIT_PERSON_IT
            };
            out.decisions.push(DemoDecision {
                id: stream_id(seed, Stream::PersonDecision, u64::from(n) * 2),
                subject: DemoSubject::Person(id),
                decision: Decision::Admit,
                reason: (*pick(&mut rng, pool)).to_owned(),
                decided_by: coordinator,
                decided_at: a,
            });
        }
        if let Some(s) = suspended_at {
            out.decisions.push(DemoDecision {
                id: stream_id(seed, Stream::PersonDecision, u64::from(n) * 2 + 1),
                subject: DemoSubject::Person(id),
                decision: Decision::Suspend,
                reason: if french {
                    words::SUSPEND_PERSON_FR
                } else {
                    words::SUSPEND_PERSON_IT
                }
                .to_owned(),
                decided_by: coordinator,
                decided_at: s,
            });
        }

        // Applications waiting for a coordinator.
        let app_id = |k: u64| stream_id(seed, Stream::Application, u64::from(n) * 4 + k);
        if let Some(sk) = founded.filter(|sk| sk.status == OrganizationStatus::Pending) {
            let org_name = self.organization(sk.index).organization.profile.name;
            let template = if french {
                words::APPLY_NEW_ORG_FR
            } else {
                words::APPLY_NEW_ORG_IT
            };
            out.applications.push(DemoApplication {
                id: app_id(0),
                person_id: id,
                kind: ApplicationKind::NewOrganization,
                organization_id: Some(spec.organization_id(sk.index)),
                message: template.replace("{name}", &org_name),
                created_at: sk.created_at,
            });
        }
        if part == PersonPart::PendingIndividual {
            let template = if french {
                words::APPLY_INDIVIDUAL_FR
            } else {
                words::APPLY_INDIVIDUAL_IT
            };
            out.applications.push(DemoApplication {
                id: app_id(1),
                person_id: id,
                kind: ApplicationKind::Individual,
                organization_id: None,
                message: with_town(template, town.name),
                created_at: (created_at + seconds(&mut rng, 600, 2 * DAY))
                    .min(BASE_DATE - Duration::minutes(1)),
            });
        }
        if part == PersonPart::JoiningOrganization {
            let taken: Vec<u32> = orgs.iter().map(|(sk, _)| sk.index).collect();
            if let Some(sk) = self
                .pick_active_org(&mut rng, false)
                .filter(|sk| !taken.contains(&sk.index))
            {
                let org_name = self.organization(sk.index).organization.profile.name;
                let template = if french {
                    words::APPLY_EXISTING_FR
                } else {
                    words::APPLY_EXISTING_IT
                };
                let asked = BASE_DATE - seconds(&mut rng, HOUR, 14 * DAY);
                out.applications.push(DemoApplication {
                    id: app_id(2),
                    person_id: id,
                    kind: ApplicationKind::ExistingOrganization,
                    organization_id: Some(spec.organization_id(sk.index)),
                    message: template.replace("{name}", &org_name),
                    created_at: asked.max(admitted_at.unwrap_or(created_at)),
                });
            }
        }

        out.accounts.push(DemoAccount {
            id: stream_id(seed, Stream::PersonAccount, u64::from(n)),
            owner: DemoOwner::Person(id),
            created_at: admitted_at.unwrap_or(created_at),
            limit_holder: crate::ledger::LimitHolder::Person,
        });
        out.people.push(DemoPerson {
            id,
            email: person_email(n),
            name,
            role: Role::Person,
            membership_status,
            locale,
            phone,
            bio,
            locality: town.name.to_owned(),
            created_at,
            updated_at: suspended_at.or(admitted_at).unwrap_or(created_at),
        });
    }
}

/// Whether an organisation in `town` writes in French: the first draw of its detail stream, so
/// the trade can learn an organisation's language without generating its texts.
fn org_french(town: &Town, rng: &mut impl Rng) -> bool {
    match town.lang {
        Lang::It => false,
        Lang::Fr => true,
        Lang::Both => rng.random_bool(0.4),
    }
}

fn founded_year(kind: OrganizationKind, rng: &mut impl Rng) -> i32 {
    use OrganizationKind as K;
    let (from, to) = match kind {
        K::Farm => (1950, 2024),
        K::WorkerCoop => (1975, 2025),
        K::ConsumerCoop => (1950, 2024),
        K::ProducerCoop => (1950, 2020),
        // SCIC exist since 2001, cooperative di comunità spread after 2010.
        K::MultiStakeholderCoop => (2008, 2025),
        // Italy's social cooperatives law dates from 1991.
        K::SocialEnterprise => (1991, 2025),
        K::Association => (1970, 2025),
        K::CommunityGroup => (2005, 2025),
        // The first GAS was founded in Fidenza in 1994.
        K::PurchasingGroup => (1996, 2025),
        K::PublicPartner => (1946, 1990),
    };
    rng.random_range(from..=to)
}

/// Workers (hundredths of FTE, in quarters) and volunteers typical of the kind.
fn staff(kind: OrganizationKind, rng: &mut impl Rng) -> (i64, i32) {
    use OrganizationKind as K;
    let (fte_lo, fte_hi, vol_lo, vol_hi) = match kind {
        K::Farm => (1, 6, 0, 3),
        K::WorkerCoop => (3, 40, 0, 2),
        K::ConsumerCoop => (2, 30, 5, 60),
        K::ProducerCoop => (3, 50, 0, 5),
        K::MultiStakeholderCoop => (2, 25, 5, 80),
        K::SocialEnterprise => (5, 80, 2, 40),
        K::Association => (0, 5, 5, 120),
        K::CommunityGroup => (0, 0, 3, 40),
        K::PurchasingGroup => (0, 0, 8, 60),
        K::PublicPartner => (5, 200, 0, 10),
    };
    // Groups without staff still often have someone on a quarter-time contract.
    let quarters = rng.random_range(fte_lo * 4..=(fte_hi * 4).max(1));
    (quarters * 25, rng.random_range(vol_lo..=vol_hi))
}

/// Fills `{a_town}` ("a Sarre" / "ad Aosta"), `{de_town}` ("de Sarre" / "d'Aosta") and `{town}`.
fn with_town(template: &str, town: &str) -> String {
    let a_town = if town.starts_with('A') {
        format!("ad {town}")
    } else {
        format!("a {town}")
    };
    template
        .replace("{a_town}", &a_town)
        .replace("{de_town}", &de(town))
        .replace("{town}", town)
}

/// "de Chambéry" / "d'Aosta".
fn de(town: &str) -> String {
    let vowel = town
        .chars()
        .next()
        .is_some_and(|c| "AEIOUÉÈÊÂÎÔÛaeiou".contains(c));
    if vowel {
        format!("d'{town}")
    } else {
        format!("de {town}")
    }
}

fn org_name(
    kind: OrganizationKind,
    sector: Sector,
    french: bool,
    town: &Town,
    rng: &mut impl Rng,
) -> String {
    let templates = words::name_templates(kind, french);
    let mut template = *pick(rng, templates);
    // The Fontina cheese dairy only makes sense in the valley.
    if template.contains("Valdostano") && town.ring != Ring::Valley {
        template = templates[0];
    }
    let (motif, surname, place, quarter, thing) = if french {
        (
            *pick(rng, words::MOTIF_FR),
            *pick(rng, words::SURNAME_FR),
            *pick(rng, words::FARM_PLACE_FR),
            *pick(rng, words::QUARTER_FR),
            *pick(rng, words::THING_FR),
        )
    } else {
        let surnames = if town.ring == Ring::Valley && rng.random_bool(0.5) {
            words::SURNAME_VDA
        } else {
            words::SURNAME_IT
        };
        (
            *pick(rng, words::MOTIF_IT),
            *pick(rng, surnames),
            *pick(rng, words::FARM_PLACE_IT),
            *pick(rng, words::QUARTER_IT),
            *pick(rng, words::THING_IT),
        )
    };
    let product = *pick(rng, words::PRODUCT_IT);
    with_town(template, town.name)
        .replace("{motif}", motif)
        .replace("{noun}", words::sector_noun(sector, french))
        .replace("{surname}", surname)
        .replace("{place}", place)
        .replace("{quarter}", quarter)
        .replace("{thing}", thing)
        .replace("{product}", product)
}

fn description(
    kind: OrganizationKind,
    sector: Sector,
    french: bool,
    town: &Town,
    year: i32,
    volunteers: i32,
    rng: &mut impl Rng,
) -> String {
    let intro = with_town(words::intro(kind, french), town.name)
        .replace("{year}", &year.to_string())
        .replace("{volunteers}", &volunteers.max(2).to_string());
    let activities = words::activity(sector, french);
    let mut activity = *pick(rng, activities);
    // Fontina and Valdostana cows belong to the valley.
    if town.ring != Ring::Valley
        && (activity.contains("valdostana") || activity.contains("valdôtaine"))
    {
        activity = activities[0];
    }
    let closing = *pick(
        rng,
        if french {
            words::CLOSING_FR
        } else {
            words::CLOSING_IT
        },
    );
    format!("{intro} {activity} {closing}")
}

/// A host name from an organisation's name: folded, hyphenated, at most 40 characters.
fn slug(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for c in crate::text::fold(name).chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    if s.len() > 40 {
        let cut = s[..40].rfind('-').unwrap_or(40);
        s.truncate(cut);
    }
    let s = s.trim_end_matches('-');
    if s.is_empty() {
        "organizzazione".to_owned()
    } else {
        s.to_owned()
    }
}

fn digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// A landline in the town's area: Italian numbers have ten digits after +39, French ones nine
/// after +33, written in pairs.
fn landline(town: &Town, rng: &mut impl Rng) -> String {
    if let Some(area) = town.phone.strip_prefix("+39 ") {
        let rest = 10usize.saturating_sub(area.len()).max(4);
        // Avoid a leading zero after the area code, which reads like a typo.
        let first = rng.random_range(1..10u8);
        format!("{} {first}{}", town.phone, digits(rng, rest - 1))
    } else {
        let have = town.phone.chars().filter(char::is_ascii_digit).count() - 2;
        let mut s = town.phone.to_owned();
        for _ in 0..(9usize.saturating_sub(have)) / 2 {
            s.push(' ');
            s.push_str(&digits(rng, 2));
        }
        s
    }
}

/// A mobile number of the country the person lives in.
fn mobile(in_france: bool, rng: &mut impl Rng) -> String {
    if in_france {
        let lead = if rng.random_bool(0.8) { 6 } else { 7 };
        format!(
            "+33 {lead} {} {} {} {}",
            digits(rng, 2),
            digits(rng, 2),
            digits(rng, 2),
            digits(rng, 2)
        )
    } else {
        let operator = *pick(
            rng,
            &[
                "320", "328", "333", "339", "340", "347", "348", "366", "393",
            ],
        );
        format!("+39 {operator} {}", digits(rng, 7))
    }
}

fn address(town: &Town, french: bool, rng: &mut impl Rng) -> String {
    let number = rng.random_range(1..=120);
    if town.ring == Ring::Valley {
        format!("{}, {number}", pick(rng, words::STREET_VDA))
    } else if french {
        format!("{number} {}", pick(rng, words::STREET_FR))
    } else {
        format!("{}, {number}", pick(rng, words::STREET_IT))
    }
}

fn person_name(town: &Town, french: bool, rng: &mut impl Rng) -> String {
    let first = if french {
        *pick(rng, words::FIRST_FR)
    } else {
        *pick(rng, words::FIRST_IT)
    };
    let surnames = if town.ring == Ring::Valley && rng.random_bool(0.4) {
        words::SURNAME_VDA
    } else if french {
        words::SURNAME_FR
    } else {
        words::SURNAME_IT
    };
    format!("{first} {}", pick(rng, surnames))
}

#[cfg(test)]
mod tests;
