//! Every indicator of a period, from the facts the store reads.
//!
//! [`build`] takes the monthly trade aggregates ([`Trade`]) and the other facts of the district
//! (members, invoices, purchasing settlements, clearing rounds, deliveries, votes, bookings,
//! surveys) and computes the [`Report`]: the figures for the whole period and, for the figures
//! that add up over time, one value per bucket (month or quarter) for the time series.
//!
//! A [`Selection`] narrows the report to member organisations of some kinds or sectors: member
//! counts then count only those, trade counts the flows with at least one side among them, and
//! LM3 and the local share are theirs.

use super::food::{self, Delivery, FoodMiles};
use super::lm3::{self, Flow, Lm3};
use super::period::{Month, Period};
use super::shape::{self, Ratio};
use super::trade::{Trade, is_undo};
use crate::directory::{OrganizationKind, Sector};
use crate::governance::participation::Turnout;
use crate::ledger::TransferKind;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// Who owns an account, as the indicators see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A member organisation (index into [`Facts::organizations`]).
    Organization(u32),
    /// A person (index into [`Facts::people`]).
    Person(u32),
    /// The district's own accounts (fund, fees).
    District,
    /// Outside the district (another district's mirror account).
    Outside,
}

/// An organisation as the indicators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Its kind.
    pub kind: OrganizationKind,
    /// Its sector.
    pub sector: Sector,
    /// Jobs, in hundredths of a full-time equivalent, as its profile declares them now.
    pub workers_fte_hundredths: i64,
    /// Volunteers, as its profile declares them now.
    pub volunteers: i64,
    /// The month it was admitted (`None`: never admitted).
    pub joined: Option<Month>,
    /// The month it left (was suspended and not reinstated), if it did.
    pub left: Option<Month>,
}

/// A person's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    /// The month they were admitted (`None`: never).
    pub joined: Option<Month>,
    /// The month they left, if they did.
    pub left: Option<Month>,
}

/// An invoice issued in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceFact {
    /// When it was issued.
    pub month: Month,
    /// In the district's credit (`false`: in euro).
    pub credit: bool,
    /// Its amount, in minor units.
    pub amount_minor: i64,
    /// Who issued it (the seller).
    pub creditor: Owner,
    /// Who owes it (the buyer).
    pub debtor: Owner,
}

/// One purchasing order cycle settled in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlementFact {
    /// When it was settled.
    pub month: Month,
    /// What the households paid, in minor units.
    pub amount_minor: i64,
}

/// One clearing round applied in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClearingFact {
    /// When it was applied.
    pub month: Month,
    /// Debt set off without any credit moving.
    pub set_off_minor: i64,
    /// Debt settled with credit (credit-assisted rounds).
    pub credit_settled_minor: i64,
    /// Credit that moved to settle it.
    pub credit_transferred_minor: i64,
}

/// One vote's turnout in one college.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteFact {
    /// When the vote closed.
    pub month: Month,
    /// The body's name.
    pub body: String,
    /// The college's name (empty for a body without colleges).
    pub college: String,
    /// Ballots out of electorate.
    pub turnout: Turnout,
}

/// A member organisation's survey of its spending outside the ledger, for one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    /// The organisation (index into [`Facts::organizations`]).
    pub organization: u32,
    /// The year it covers.
    pub year: i32,
    /// Spending paid outside the ledger (euro), in minor units.
    pub outside_total_minor: i64,
    /// Of which with suppliers and staff in the territory.
    pub outside_local_minor: i64,
    /// Purchases from outside the district by the sector of what was bought.
    pub outside_by_sector_minor: Vec<(Sector, i64)>,
}

/// Everything besides the trade aggregates.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Each account's owner, by the dense index [`Trade`] uses.
    pub accounts: Vec<Owner>,
    /// Organisations.
    pub organizations: Vec<Organization>,
    /// People.
    pub people: Vec<Person>,
    /// Invoices issued in the period.
    pub invoices: Vec<InvoiceFact>,
    /// Order cycles settled in the period.
    pub settlements: Vec<SettlementFact>,
    /// Clearing rounds applied in the period.
    pub clearings: Vec<ClearingFact>,
    /// Deliveries to pickup points in the period.
    pub deliveries: Vec<(Month, Delivery)>,
    /// Votes closed in the period, per college.
    pub votes: Vec<VoteFact>,
    /// Months of the proposals opened in the period.
    pub proposals: Vec<Month>,
    /// Months of the comments made in the period.
    pub comments: Vec<Month>,
    /// Shared resources booked in the period: (month of the start, minutes).
    pub bookings: Vec<(Month, i64)>,
    /// Surveys of the years the period touches.
    pub surveys: Vec<Survey>,
}

/// Which member organisations the report is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only these kinds (`None`: every kind).
    pub kind: Option<OrganizationKind>,
    /// Only this sector (`None`: every sector).
    pub sector: Option<Sector>,
    /// Only this organisation (index into [`Facts::organizations`]): one member's own figures.
    pub organization: Option<u32>,
}

impl Selection {
    /// Whether it narrows anything.
    pub fn is_all(&self) -> bool {
        self.kind.is_none() && self.sector.is_none() && self.organization.is_none()
    }

    fn takes(&self, index: usize, o: &Organization) -> bool {
        self.kind.is_none_or(|k| k == o.kind)
            && self.sector.is_none_or(|s| s == o.sector)
            && self.organization.is_none_or(|i| i as usize == index)
    }
}

/// A count and an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Volume {
    /// How many.
    pub count: u64,
    /// How much, in minor units.
    pub amount_minor: i128,
}

impl Volume {
    fn add(&mut self, count: u64, amount_minor: i128) {
        self.count = self.count.saturating_add(count);
        self.amount_minor = self.amount_minor.saturating_add(amount_minor);
    }
}

/// Members and their work.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Members {
    /// Member organisations at the end of the period.
    pub organizations: u64,
    /// Member people at the end of the period (all of them, whatever the selection).
    pub people: u64,
    /// Member organisations at the end of the period, by kind.
    pub by_kind: BTreeMap<OrganizationKind, u64>,
    /// Member organisations at the end of the period, by sector.
    pub by_sector: BTreeMap<Sector, u64>,
    /// Their jobs (profiles as declared now), in hundredths of a full-time equivalent.
    pub jobs_fte_hundredths: i64,
    /// Jobs by sector.
    pub jobs_by_sector: BTreeMap<Sector, i64>,
    /// Their volunteers.
    pub volunteers: i64,
    /// Organisations admitted in each bucket.
    pub organizations_joined: Vec<u64>,
    /// Organisations that left in each bucket.
    pub organizations_left: Vec<u64>,
    /// People admitted in each bucket.
    pub people_joined: Vec<u64>,
    /// People who left in each bucket.
    pub people_left: Vec<u64>,
}

/// Intra-district trade.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TradeFigures {
    /// Transfers between local accounts (every kind but reversals, refunds, clearing and
    /// payments between districts), net of what was reversed, per bucket.
    pub transfers: Vec<Volume>,
    /// The same over the period.
    pub transfers_total: Volume,
    /// Every transfer of the period by kind (before netting).
    pub by_kind: BTreeMap<TransferKind, Volume>,
    /// Invoices issued in credit, per bucket.
    pub invoices_credit: Vec<Volume>,
    /// Invoices issued in euro, per bucket.
    pub invoices_euro: Vec<Volume>,
    /// Order cycles settled, per bucket.
    pub settlements: Vec<Volume>,
    /// Credit in circulation (the sum of positive balances of local accounts) at the end of
    /// each bucket.
    pub circulation_minor: Vec<i128>,
    /// Trade over the mean month-end circulation, in thousandths (`None`: nothing circulated).
    pub velocity_milli: Option<i64>,
    /// Credit paid to other districts over the period.
    pub to_other_districts_minor: i128,
    /// Sector-to-sector flows between member organisations (paying sector, receiving sector).
    pub sector_flows: BTreeMap<(Sector, Sector), i128>,
}

/// What the members bought, and how much from each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LocalShare {
    /// Recorded purchases from members (ledger and invoices), minor units.
    pub local_minor: i128,
    /// All recorded purchases (ledger, invoices and surveyed spending outside the ledger).
    pub total_minor: i128,
}

impl LocalShare {
    /// The share in parts per million.
    pub fn ppm(&self) -> Option<i64> {
        Ratio {
            part: self.local_minor,
            whole: self.total_minor,
        }
        .ppm()
    }
}

/// Clearing rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClearingFigures {
    /// Rounds applied.
    pub rounds: u64,
    /// Debt cleared (set off, or settled with credit).
    pub debt_cleared_minor: i128,
    /// Liquidity saved: debt cleared that needed no credit to move.
    pub liquidity_saved_minor: i128,
}

/// Participation in the district's democracy and its shared resources.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Participation {
    /// Pooled turnout per (body, college) of the votes closed.
    pub turnout: BTreeMap<(String, String), Turnout>,
    /// Pooled turnout of every vote closed, per bucket.
    pub turnout_by_bucket: Vec<Turnout>,
    /// Proposals opened, per bucket.
    pub proposals: Vec<u64>,
    /// Comments, per bucket.
    pub comments: Vec<u64>,
    /// Minutes of shared resources booked, per bucket.
    pub booked_minutes: Vec<i64>,
}

/// The shape of trade among members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    /// Member organisations with at least one member supplier and one member customer.
    pub both_ways: u64,
    /// Member organisations that traded at all.
    pub trading: u64,
    /// Volume matched by trade in the other direction.
    pub reciprocity: Ratio,
    /// Volume that runs in cycles.
    pub in_cycles: Ratio,
}

/// Every indicator of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The period.
    pub period: Period,
    /// The labels of its buckets.
    pub buckets: Vec<String>,
    /// Members, jobs, volunteers.
    pub members: Members,
    /// Trade.
    pub trade: TradeFigures,
    /// Local share of purchases.
    pub local_share: LocalShare,
    /// LM3 of the selected member organisations.
    pub lm3: Lm3,
    /// LM3 per sector of member organisations.
    pub lm3_by_sector: BTreeMap<Sector, Lm3>,
    /// Clearing.
    pub clearing: ClearingFigures,
    /// Food km and emissions of deliveries.
    pub food: FoodMiles,
    /// Participation.
    pub participation: Participation,
    /// The shape of trade.
    pub shape: Shape,
}

/// The parties of the LM3 and shape computations: every organisation and person owner, the
/// district, and one party for everything outside.
struct Parties {
    /// Party of each account.
    of_account: Vec<u32>,
    organizations: u32,
    people: u32,
}

impl Parties {
    fn new(facts: &Facts) -> Self {
        let organizations = u32::try_from(facts.organizations.len()).unwrap_or(u32::MAX);
        let people = u32::try_from(facts.people.len()).unwrap_or(u32::MAX);
        let district = organizations.saturating_add(people);
        let outside = district.saturating_add(1);
        let of_account = facts
            .accounts
            .iter()
            .map(|o| match *o {
                Owner::Organization(i) => i.min(organizations.saturating_sub(1)),
                Owner::Person(i) => organizations.saturating_add(i.min(people.saturating_sub(1))),
                Owner::District => district,
                Owner::Outside => outside,
            })
            .collect();
        Self {
            of_account,
            organizations,
            people,
        }
    }

    fn count(&self) -> u32 {
        self.organizations
            .saturating_add(self.people)
            .saturating_add(2)
    }

    fn district(&self) -> u32 {
        self.organizations.saturating_add(self.people)
    }

    fn outside(&self) -> u32 {
        self.district().saturating_add(1)
    }

    fn organization(&self, party: u32) -> Option<usize> {
        (party < self.organizations).then_some(party as usize)
    }

    fn party(&self, account: u32) -> u32 {
        self.of_account
            .get(account as usize)
            .copied()
            .unwrap_or(self.outside())
    }
}

fn member_at(joined: Option<Month>, left: Option<Month>, at: Month) -> bool {
    joined.is_some_and(|j| j <= at) && left.is_none_or(|l| l > at)
}

/// Which bucket each month offset falls in.
fn bucket_of(period: &Period) -> (Vec<String>, Vec<usize>) {
    let buckets = period.buckets();
    let mut of = vec![0usize; period.len_months() as usize];
    for (b, (_, offsets)) in buckets.iter().enumerate() {
        for o in offsets {
            if let Some(slot) = of.get_mut(*o) {
                *slot = b;
            }
        }
    }
    (buckets.into_iter().map(|(l, _)| l).collect(), of)
}

/// Computes every indicator of `period` for `selection`.
pub fn build(period: Period, trade: &Trade, facts: &Facts, selection: &Selection) -> Report {
    let (labels, bucket) = bucket_of(&period);
    let n_buckets = labels.len();
    let at = |m: Month| period.offset(m).and_then(|o| bucket.get(o).copied());
    let parties = Parties::new(facts);
    let selected: Vec<bool> = facts
        .organizations
        .iter()
        .enumerate()
        .map(|(i, o)| selection.takes(i, o))
        .collect();
    let is_selected_org = |party: u32| parties.organization(party).is_some_and(|i| selected[i]);
    let members = members(&period, facts, &selected, n_buckets, &at);
    let member_party = member_parties(&period, facts, &parties);
    let in_scope = |payer: u32, payee: u32| {
        selection.is_all() || is_selected_org(payer) || is_selected_org(payee)
    };
    let (mut trade_figures, flows) =
        trade_figures(&period, trade, &parties, n_buckets, &at, &in_scope);
    // The share of trade in cycles runs the clearing engine over every pair of members that
    // traded, the longest part of a large district's report: it runs on a second thread while
    // this one computes the rest, the rest of the shape of trade last.
    let local = local_flows(&flows, &member_party);
    std::thread::scope(|scope| {
        let in_cycles = scope.spawn(|| shape::in_cycles(parties.count(), &local));
        trade_figures.sector_flows =
            sector_flows(&flows, facts, &parties, &member_party, &in_scope);
        trade_figures.circulation_minor = circulation(
            &period,
            trade,
            facts,
            &parties,
            &member_party,
            &bucket,
            n_buckets,
        );
        trade_figures.velocity_milli = velocity(&trade_figures);
        invoice_and_settlement_series(
            &mut trade_figures,
            facts,
            n_buckets,
            &at,
            &parties,
            &in_scope,
        );
        let surveys = surveys_for(&period, facts);
        let lm3_parties = lm3_parties(&parties, &member_party, &surveys);
        let lm3_total = lm3::district(&lm3_parties, &flows, is_selected_org);
        let lm3_by_sector = lm3_by_sector(&lm3_parties, &flows, facts, &selected);
        let local_share = local_share(&flows, facts, &parties, &member_party, &surveys, &selected);
        let food = food::food_miles(
            &facts
                .deliveries
                .iter()
                .filter(|(m, _)| period.contains(*m))
                .map(|(_, d)| *d)
                .collect::<Vec<Delivery>>(),
        );
        let participation = participation(facts, n_buckets, &at);
        let mut shape = shape_of(&local, &parties, &member_party, &is_selected_org);
        // A panic there is the same bug as it would be here: passed on.
        shape.in_cycles = in_cycles
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            .unwrap_or_default();
        Report {
            period,
            buckets: labels,
            members,
            trade: trade_figures,
            local_share,
            lm3: lm3_total,
            lm3_by_sector,
            clearing: clearing(facts, &period),
            food,
            participation,
            shape,
        }
    })
}

fn members(
    period: &Period,
    facts: &Facts,
    selected: &[bool],
    n: usize,
    at: &dyn Fn(Month) -> Option<usize>,
) -> Members {
    let end = period.last();
    let mut m = Members {
        organizations_joined: vec![0; n],
        organizations_left: vec![0; n],
        people_joined: vec![0; n],
        people_left: vec![0; n],
        ..Members::default()
    };
    for (o, _) in facts
        .organizations
        .iter()
        .zip(selected)
        .filter(|(_, s)| **s)
    {
        if let Some(b) = o.joined.and_then(at) {
            m.organizations_joined[b] += 1;
        }
        if let Some(b) = o.left.and_then(at) {
            m.organizations_left[b] += 1;
        }
        if member_at(o.joined, o.left, end) {
            m.organizations += 1;
            *m.by_kind.entry(o.kind).or_default() += 1;
            *m.by_sector.entry(o.sector).or_default() += 1;
            m.jobs_fte_hundredths = m
                .jobs_fte_hundredths
                .saturating_add(o.workers_fte_hundredths);
            *m.jobs_by_sector.entry(o.sector).or_default() += o.workers_fte_hundredths;
            m.volunteers = m.volunteers.saturating_add(o.volunteers);
        }
    }
    for p in &facts.people {
        if let Some(b) = p.joined.and_then(at) {
            m.people_joined[b] += 1;
        }
        if let Some(b) = p.left.and_then(at) {
            m.people_left[b] += 1;
        }
        if member_at(p.joined, p.left, end) {
            m.people += 1;
        }
    }
    m
}

/// Whether each party is local: a member (at any time in the period) or the district.
fn member_parties(period: &Period, facts: &Facts, parties: &Parties) -> Vec<bool> {
    let was_member = |j: Option<Month>, l: Option<Month>| {
        j.is_some_and(|j| j <= period.last()) && l.is_none_or(|l| l >= period.first())
    };
    let mut out: Vec<bool> = facts
        .organizations
        .iter()
        .map(|o| was_member(o.joined, o.left))
        .chain(facts.people.iter().map(|p| was_member(p.joined, p.left)))
        .collect();
    out.push(true); // the district
    out.push(false); // outside
    debug_assert_eq!(out.len(), parties.count() as usize);
    out
}

/// The trade series and the period's party-to-party flows (net of reversals).
fn trade_figures(
    period: &Period,
    trade: &Trade,
    parties: &Parties,
    n: usize,
    at: &dyn Fn(Month) -> Option<usize>,
    in_scope: &dyn Fn(u32, u32) -> bool,
) -> (TradeFigures, Vec<Flow>) {
    let t = TradeFigures {
        transfers: vec![Volume::default(); n],
        ..TradeFigures::default()
    };
    // Every pair's flow, whatever the selection: the local shares of LM3 and the shape of
    // trade depend on everyone's spending, not only on the selected members'. Half of the
    // pairs are summed on a second thread while this one sums the other half and the figures.
    std::thread::scope(|scope| {
        let odd = scope.spawn(|| pair_flows(period, trade, parties, 1));
        let even = pair_flows(period, trade, parties, 0);
        // A panic there is the same bug as it would be here: passed on.
        (
            figures_of(t, period, trade, parties, at, in_scope),
            merged(
                even,
                odd.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            ),
        )
    })
}

/// The figures of trade (by kind, per bucket, to other districts) of the flows in scope.
fn figures_of(
    mut t: TradeFigures,
    period: &Period,
    trade: &Trade,
    parties: &Parties,
    at: &dyn Fn(Month) -> Option<usize>,
    in_scope: &dyn Fn(u32, u32) -> bool,
) -> TradeFigures {
    for (k, v) in trade.flows_in(period) {
        let (payer, payee) = (parties.party(k.payer), parties.party(k.payee));
        if !in_scope(payer, payee) {
            continue;
        }
        t.by_kind
            .entry(k.kind)
            .or_default()
            .add(v.transfers, i128::from(v.amount_minor));
        let Some(b) = at(k.month) else { continue };
        if k.kind == TransferKind::Federation
            || payer == parties.outside()
            || payee == parties.outside()
        {
            if payee == parties.outside() {
                t.to_other_districts_minor = t
                    .to_other_districts_minor
                    .saturating_add(i128::from(v.amount_minor));
            }
            continue;
        }
        if k.kind == TransferKind::Clearing {
            continue;
        }
        if is_undo(k.kind) {
            t.transfers[b].amount_minor -= i128::from(v.amount_minor);
            continue;
        }
        t.transfers[b].add(v.transfers, i128::from(v.amount_minor));
    }
    for v in &t.transfers {
        t.transfers_total.add(v.count, v.amount_minor);
    }
    t
}

/// The net flow of every pair of parties whose payer's number has the parity `parity` (an
/// undone transfer counts against the pair it was made in), self-pairs and pairs with
/// nothing left out, sorted by payer then payee.
fn pair_flows(period: &Period, trade: &Trade, parties: &Parties, parity: u32) -> Vec<Flow> {
    // FxHash: party numbers, not user text (SipHash was seconds of a national year).
    let mut pairs: FxHashMap<(u32, u32), i128> = FxHashMap::default();
    for (k, v) in trade.flows_in(period) {
        let (payer, payee) = (parties.party(k.payer), parties.party(k.payee));
        let (from, to, amount) = if is_undo(k.kind) {
            (payee, payer, -i128::from(v.amount_minor))
        } else {
            (payer, payee, i128::from(v.amount_minor))
        };
        if from % 2 == parity {
            *pairs.entry((from, to)).or_default() += amount;
        }
    }
    let mut flows: Vec<Flow> = pairs
        .into_iter()
        .filter(|((a, b), amount)| a != b && *amount > 0)
        .map(|((payer, payee), amount)| Flow {
            payer,
            payee,
            amount_minor: i64::try_from(amount).unwrap_or(i64::MAX),
        })
        .collect();
    flows.sort_unstable_by_key(|f| (f.payer, f.payee));
    flows
}

/// Two lists of flows sorted by (payer, payee) as one sorted list.
fn merged(a: Vec<Flow>, b: Vec<Flow>) -> Vec<Flow> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    // Each turn moves one flow out of `a` or `b`: at most their lengths together.
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => (x.payer, x.payee) <= (y.payer, y.payee),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_a { a.next() } else { b.next() });
    }
    out
}

fn sector_flows(
    flows: &[Flow],
    facts: &Facts,
    parties: &Parties,
    member: &[bool],
    in_scope: &dyn Fn(u32, u32) -> bool,
) -> BTreeMap<(Sector, Sector), i128> {
    let mut out = BTreeMap::new();
    for f in flows.iter().filter(|f| in_scope(f.payer, f.payee)) {
        let (Some(a), Some(b)) = (parties.organization(f.payer), parties.organization(f.payee))
        else {
            continue;
        };
        if member[a] && member[b] {
            *out.entry((facts.organizations[a].sector, facts.organizations[b].sector))
                .or_default() += i128::from(f.amount_minor);
        }
    }
    out
}

/// The sum of positive balances of local accounts at the end of each bucket.
fn circulation(
    period: &Period,
    trade: &Trade,
    facts: &Facts,
    parties: &Parties,
    member: &[bool],
    bucket: &[usize],
    n: usize,
) -> Vec<i128> {
    let balances = trade.month_end_balances(period, facts.accounts.len());
    let mut per_month = vec![0i128; period.len_months() as usize];
    for (account, months) in balances.iter().enumerate() {
        let party = parties.party(u32::try_from(account).unwrap_or(u32::MAX));
        if !member.get(party as usize).copied().unwrap_or(false) {
            continue;
        }
        for (slot, b) in per_month.iter_mut().zip(months) {
            *slot += i128::from((*b).max(0));
        }
    }
    // A bucket's circulation is that at its last month's end.
    let mut out = vec![0i128; n];
    for (offset, value) in per_month.iter().enumerate() {
        if let Some(b) = bucket.get(offset) {
            out[*b] = *value;
        }
    }
    out
}

fn velocity(t: &TradeFigures) -> Option<i64> {
    let n = i128::try_from(t.circulation_minor.len()).ok()?;
    let mean = t.circulation_minor.iter().sum::<i128>().checked_div(n)?;
    (mean > 0).then(|| {
        i64::try_from(t.transfers_total.amount_minor.max(0) * 1000 / mean).unwrap_or(i64::MAX)
    })
}

fn invoice_and_settlement_series(
    t: &mut TradeFigures,
    facts: &Facts,
    n: usize,
    at: &dyn Fn(Month) -> Option<usize>,
    parties: &Parties,
    in_scope: &dyn Fn(u32, u32) -> bool,
) {
    t.invoices_credit = vec![Volume::default(); n];
    t.invoices_euro = vec![Volume::default(); n];
    t.settlements = vec![Volume::default(); n];
    let party_of = |o: Owner| match o {
        Owner::Organization(i) => i,
        Owner::Person(i) => parties.organizations.saturating_add(i),
        Owner::District => parties.district(),
        Owner::Outside => parties.outside(),
    };
    for i in &facts.invoices {
        if !in_scope(party_of(i.creditor), party_of(i.debtor)) {
            continue;
        }
        if let Some(b) = at(i.month) {
            let series = if i.credit {
                &mut t.invoices_credit
            } else {
                &mut t.invoices_euro
            };
            series[b].add(1, i128::from(i.amount_minor));
        }
    }
    for s in &facts.settlements {
        if let Some(b) = at(s.month) {
            t.settlements[b].add(1, i128::from(s.amount_minor));
        }
    }
}

/// The surveys that cover the period, each scaled to the months of its year that fall in it.
fn surveys_for(period: &Period, facts: &Facts) -> Vec<Survey> {
    facts
        .surveys
        .iter()
        .filter_map(|s| {
            let months =
                i64::try_from(period.months().filter(|m| m.year == s.year).count()).ok()?;
            (months > 0).then(|| Survey {
                outside_total_minor: s.outside_total_minor.saturating_mul(months) / 12,
                outside_local_minor: s.outside_local_minor.saturating_mul(months) / 12,
                outside_by_sector_minor: s
                    .outside_by_sector_minor
                    .iter()
                    .map(|(sector, v)| (*sector, v.saturating_mul(months) / 12))
                    .collect(),
                ..s.clone()
            })
        })
        .collect()
}

fn lm3_parties(parties: &Parties, member: &[bool], surveys: &[Survey]) -> Vec<lm3::Party> {
    let mut out: Vec<lm3::Party> = member
        .iter()
        .map(|m| lm3::Party {
            member: *m,
            outside_total_minor: 0,
            outside_local_minor: 0,
        })
        .collect();
    for s in surveys {
        if let Some(p) = parties
            .organization(s.organization)
            .and_then(|i| out.get_mut(i))
        {
            p.outside_total_minor = p.outside_total_minor.saturating_add(s.outside_total_minor);
            p.outside_local_minor = p.outside_local_minor.saturating_add(s.outside_local_minor);
        }
    }
    out
}

fn lm3_by_sector(
    lm3_parties: &[lm3::Party],
    flows: &[Flow],
    facts: &Facts,
    selected: &[bool],
) -> BTreeMap<Sector, Lm3> {
    let per_party = lm3::per_party(lm3_parties, flows);
    let mut out: BTreeMap<Sector, Lm3> = BTreeMap::new();
    for (i, o) in facts.organizations.iter().enumerate() {
        if !selected[i] || !lm3_parties.get(i).is_some_and(|p| p.member) {
            continue;
        }
        if let Some(l) = per_party.get(i) {
            let e = out.entry(o.sector).or_default();
            *e = *e + *l;
        }
    }
    out
}

/// Purchases of selected member organisations (or of every member when nothing is selected):
/// ledger payments and invoices received, plus surveyed spending outside the ledger.
fn local_share(
    flows: &[Flow],
    facts: &Facts,
    parties: &Parties,
    member: &[bool],
    surveys: &[Survey],
    selected: &[bool],
) -> LocalShare {
    let buyer = |party: u32| {
        parties
            .organization(party)
            .map_or(party < parties.district() && member[party as usize], |i| {
                selected[i] && member[i]
            })
    };
    let mut s = LocalShare::default();
    for f in flows.iter().filter(|f| buyer(f.payer)) {
        let amount = i128::from(f.amount_minor);
        s.total_minor += amount;
        if member.get(f.payee as usize).copied().unwrap_or(false) {
            s.local_minor += amount;
        }
    }
    for i in facts.invoices.iter().filter(|i| !i.credit) {
        if let (Owner::Organization(d), Owner::Organization(c)) = (i.debtor, i.creditor)
            && buyer(d)
        {
            {
                s.total_minor += i128::from(i.amount_minor);
                if member.get(c as usize).copied().unwrap_or(false) {
                    s.local_minor += i128::from(i.amount_minor);
                }
            }
        }
    }
    for v in surveys.iter().filter(|v| buyer(v.organization)) {
        s.total_minor += i128::from(v.outside_total_minor);
        s.local_minor += i128::from(v.outside_local_minor);
    }
    s
}

/// The flows between two members.
fn local_flows(flows: &[Flow], member: &[bool]) -> Vec<Flow> {
    flows
        .iter()
        .filter(|f| member[f.payer as usize] && member[f.payee as usize])
        .copied()
        .collect()
}

/// The shape of the trade among members (`local`, from [`local_flows`]), all but the share in
/// cycles.
fn shape_of(
    local: &[Flow],
    parties: &Parties,
    member: &[bool],
    is_selected_org: &dyn Fn(u32) -> bool,
) -> Shape {
    let n = parties.count();
    let counts = shape::suppliers_and_customers(n, local, |p| member[p as usize]);
    let mut s = Shape::default();
    for (party, (suppliers, customers)) in counts.iter().enumerate() {
        let party = u32::try_from(party).unwrap_or(u32::MAX);
        if !is_selected_org(party) {
            continue;
        }
        if *suppliers > 0 || *customers > 0 {
            s.trading += 1;
        }
        if *suppliers > 0 && *customers > 0 {
            s.both_ways += 1;
        }
    }
    s.reciprocity = shape::reciprocity(local);
    s
}

fn clearing(facts: &Facts, period: &Period) -> ClearingFigures {
    let mut c = ClearingFigures::default();
    for r in facts.clearings.iter().filter(|r| period.contains(r.month)) {
        c.rounds += 1;
        let cleared = i128::from(r.set_off_minor) + i128::from(r.credit_settled_minor);
        c.debt_cleared_minor += cleared;
        c.liquidity_saved_minor += cleared - i128::from(r.credit_transferred_minor);
    }
    c
}

fn participation(facts: &Facts, n: usize, at: &dyn Fn(Month) -> Option<usize>) -> Participation {
    let mut p = Participation {
        turnout_by_bucket: vec![Turnout::default(); n],
        proposals: vec![0; n],
        comments: vec![0; n],
        booked_minutes: vec![0; n],
        ..Participation::default()
    };
    for v in &facts.votes {
        let Some(b) = at(v.month) else { continue };
        let e = p
            .turnout
            .entry((v.body.clone(), v.college.clone()))
            .or_default();
        *e = e.plus(v.turnout);
        p.turnout_by_bucket[b] = p.turnout_by_bucket[b].plus(v.turnout);
    }
    for b in facts.proposals.iter().filter_map(|m| at(*m)) {
        p.proposals[b] += 1;
    }
    for b in facts.comments.iter().filter_map(|m| at(*m)) {
        p.comments[b] += 1;
    }
    for (m, minutes) in &facts.bookings {
        if let Some(b) = at(*m) {
            p.booked_minutes[b] = p.booked_minutes[b].saturating_add(*minutes);
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impact::trade::Posting;

    fn m(y: i32, mo: u8) -> Month {
        Month::new(y, mo).unwrap()
    }

    fn post(
        seq: i64,
        month: Month,
        kind: TransferKind,
        payer: u32,
        payee: u32,
        amount: i64,
        balances: (i64, i64),
    ) -> Posting {
        Posting {
            seq,
            month,
            kind,
            payer,
            payee,
            amount_minor: amount,
            payer_balance_minor: balances.0,
            payee_balance_minor: balances.1,
        }
    }

    /// Accounts: 0 farm (joined January), 1 retail cooperative (joined 2025, suspended in
    /// March), 2 a person (joined February), 3 the district, 4 another district's mirror.
    fn fixture() -> (Trade, Facts) {
        use TransferKind as K;
        let mut trade = Trade::default();
        for p in [
            post(1, m(2025, 12), K::Payment, 3, 2, 1_000, (-1_000, 1_000)),
            post(2, m(2026, 1), K::Payment, 2, 0, 500, (500, 500)),
            post(3, m(2026, 2), K::Purchase, 0, 1, 200, (300, 200)),
            post(4, m(2026, 2), K::Reversal, 1, 0, 50, (150, 350)),
            post(5, m(2026, 3), K::Federation, 0, 4, 100, (250, 100)),
        ] {
            trade.fold(&p);
        }
        let facts = Facts {
            accounts: vec![
                Owner::Organization(0),
                Owner::Organization(1),
                Owner::Person(0),
                Owner::District,
                Owner::Outside,
            ],
            organizations: vec![
                Organization {
                    kind: OrganizationKind::Farm,
                    sector: Sector::Agriculture,
                    workers_fte_hundredths: 250,
                    volunteers: 3,
                    joined: Some(m(2026, 1)),
                    left: None,
                },
                Organization {
                    kind: OrganizationKind::WorkerCoop,
                    sector: Sector::Retail,
                    workers_fte_hundredths: 100,
                    volunteers: 0,
                    joined: Some(m(2025, 6)),
                    left: Some(m(2026, 3)),
                },
            ],
            people: vec![
                Person {
                    joined: Some(m(2026, 2)),
                    left: None,
                },
                Person {
                    joined: Some(m(2025, 1)),
                    left: Some(m(2026, 2)),
                },
            ],
            invoices: vec![
                InvoiceFact {
                    month: m(2026, 2),
                    credit: true,
                    amount_minor: 300,
                    creditor: Owner::Organization(1),
                    debtor: Owner::Organization(0),
                },
                InvoiceFact {
                    month: m(2026, 3),
                    credit: false,
                    amount_minor: 1_000,
                    creditor: Owner::Organization(0),
                    debtor: Owner::Organization(1),
                },
            ],
            settlements: vec![
                SettlementFact {
                    month: m(2026, 1),
                    amount_minor: 700,
                },
                SettlementFact {
                    month: m(2026, 3),
                    amount_minor: 300,
                },
            ],
            clearings: vec![ClearingFact {
                month: m(2026, 2),
                set_off_minor: 400,
                credit_settled_minor: 100,
                credit_transferred_minor: 60,
            }],
            deliveries: vec![(
                m(2026, 1),
                Delivery {
                    distance_m: Some(10_000),
                    weight_g: 50_000,
                },
            )],
            votes: vec![
                VoteFact {
                    month: m(2026, 2),
                    body: "Assembly".into(),
                    college: String::new(),
                    turnout: Turnout::new(3, 4),
                },
                VoteFact {
                    month: m(2026, 3),
                    body: "Council".into(),
                    college: "Producers".into(),
                    turnout: Turnout::new(1, 2),
                },
            ],
            proposals: vec![m(2026, 1), m(2026, 1), m(2026, 4)],
            comments: vec![m(2026, 3)],
            bookings: vec![(m(2026, 2), 90)],
            surveys: vec![Survey {
                organization: 0,
                year: 2026,
                outside_total_minor: 1_200,
                outside_local_minor: 600,
                outside_by_sector_minor: vec![(Sector::Energy, 600)],
            }],
        };
        (trade, facts)
    }

    fn volumes(v: &[Volume]) -> Vec<(u64, i128)> {
        v.iter().map(|x| (x.count, x.amount_minor)).collect()
    }

    /// Every figure by hand (period 2026-Q1, one bucket a month).
    #[test]
    fn every_indicator_on_a_hand_computed_fixture() {
        let (trade, facts) = fixture();
        let r = build(
            Period::parse("2026-Q1").unwrap(),
            &trade,
            &facts,
            &Selection::default(),
        );
        assert_eq!(r.buckets, ["2026-01", "2026-02", "2026-03"]);
        // Members: the cooperative left in March, the second person in February.
        let mem = &r.members;
        assert_eq!((mem.organizations, mem.people), (1, 1));
        assert_eq!((mem.jobs_fte_hundredths, mem.volunteers), (250, 3));
        assert_eq!(mem.organizations_joined, [1, 0, 0]);
        assert_eq!(mem.organizations_left, [0, 0, 1]);
        assert_eq!(mem.people_joined, [0, 1, 0]);
        assert_eq!(mem.people_left, [0, 1, 0]);
        // Trade: 500 in January; 200 less the 50 reversed in February; the payment to another
        // district is not trade among members.
        let t = &r.trade;
        assert_eq!(volumes(&t.transfers), [(1, 500), (1, 150), (0, 0)]);
        assert_eq!(
            (t.transfers_total.count, t.transfers_total.amount_minor),
            (2, 650)
        );
        assert_eq!(t.by_kind.len(), 4);
        assert_eq!(t.to_other_districts_minor, 100);
        assert_eq!(volumes(&t.invoices_credit), [(0, 0), (1, 300), (0, 0)]);
        assert_eq!(volumes(&t.invoices_euro), [(0, 0), (0, 0), (1, 1_000)]);
        assert_eq!(volumes(&t.settlements), [(1, 700), (0, 0), (1, 300)]);
        // Positive balances of local accounts at each month's end (the district is at −1,000).
        assert_eq!(t.circulation_minor, [1_000, 1_000, 900]);
        // 650 × 1,000 / (2,900 / 3 = 966).
        assert_eq!(t.velocity_milli, Some(672));
        assert_eq!(
            t.sector_flows.get(&(Sector::Agriculture, Sector::Retail)),
            Some(&150)
        );
        // Local share: person 500 local; farm 150 local + 100 to another district; the
        // cooperative's euro invoice from the farm 1,000 local; the farm's survey for a quarter
        // 300 of which 150 local: 1,800 / 2,050.
        assert_eq!(
            (r.local_share.local_minor, r.local_share.total_minor),
            (1_800, 2_050)
        );
        assert_eq!(r.local_share.ppm(), Some(878_048));
        // LM3: R1 = 500 + 150; R2(farm) = 500 × 300 / 550 = 272; R3(farm) = the survey's local
        // 150 at the district's average share 800 / 1,050: 500 × 150 × 800 / (550 × 1,050) =
        // 103 (the cooperative spent nothing, so its share is 0).
        assert_eq!(
            (r.lm3.r1_minor, r.lm3.r2_minor, r.lm3.r3_minor),
            (650, 272, 103)
        );
        assert_eq!(r.lm3.ratio_milli(), Some(1_576));
        // Clearing: 500 cleared, 60 of it needed credit.
        assert_eq!(
            (
                r.clearing.rounds,
                r.clearing.debt_cleared_minor,
                r.clearing.liquidity_saved_minor
            ),
            (1, 500, 440)
        );
        assert_eq!(r.food.deliveries, 1);
        assert_eq!(r.food.local_kg_km, 500);
        let p = &r.participation;
        assert_eq!(
            p.turnout_by_bucket,
            [Turnout::default(), Turnout::new(3, 4), Turnout::new(1, 2)]
        );
        assert_eq!(
            p.turnout[&("Council".to_owned(), "Producers".to_owned())],
            Turnout::new(1, 2)
        );
        assert_eq!(p.proposals, [2, 0, 0]);
        assert_eq!(p.comments, [0, 0, 1]);
        assert_eq!(p.booked_minutes, [0, 90, 0]);
        // Shape: the farm buys from the cooperative and sells to the person.
        assert_eq!((r.shape.both_ways, r.shape.trading), (1, 2));
        assert_eq!(r.shape.reciprocity.ppm(), Some(0));
        assert_eq!(r.shape.in_cycles.ppm(), Some(0));
    }

    /// Narrowed to retail: only flows touching the cooperative count as trade, but LM3 and
    /// local shares still see everyone's spending.
    #[test]
    fn a_selection_narrows_trade_but_not_the_shares() {
        let (trade, facts) = fixture();
        let retail = Selection {
            sector: Some(Sector::Retail),
            ..Selection::default()
        };
        let r = build(Period::parse("2026-Q1").unwrap(), &trade, &facts, &retail);
        assert_eq!(r.trade.transfers_total.amount_minor, 150);
        assert_eq!(r.members.organizations, 0);
        assert_eq!(r.members.organizations_left, [0, 0, 1]);
        assert_eq!((r.lm3.r1_minor, r.lm3.r2_minor), (150, 0));
        let own = Selection {
            organization: Some(0),
            ..Selection::default()
        };
        let r = build(Period::parse("2026-Q1").unwrap(), &trade, &facts, &own);
        assert_eq!(
            (r.lm3.r1_minor, r.lm3.r2_minor, r.lm3.r3_minor),
            (500, 272, 103)
        );
    }

    proptest::proptest! {
        #[test]
        fn two_sorted_halves_merge_into_one_sorted_list(
            pairs in proptest::collection::btree_set((0u32..40, 0u32..40), 0..80),
        ) {
            let flow = |&(payer, payee): &(u32, u32)| Flow { payer, payee, amount_minor: 1 };
            let all: Vec<Flow> = pairs.iter().map(flow).collect();
            let (odd, even): (Vec<Flow>, Vec<Flow>) = all.iter().partition(|f| f.payer % 2 == 1);
            proptest::prop_assert_eq!(merged(even, odd), all);
        }
    }
}
