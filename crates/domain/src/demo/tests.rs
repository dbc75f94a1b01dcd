use super::*;
use crate::directory::ProfileInput;
use std::collections::{BTreeMap, HashSet};

fn district(seed: u64) -> Vec<DemoBatch> {
    DemoSpec::new(Scale::District, seed).batches().collect()
}

fn all<T: Clone>(batches: &[DemoBatch], f: impl Fn(&DemoBatch) -> &Vec<T>) -> Vec<T> {
    batches.iter().flat_map(|b| f(b).iter().cloned()).collect()
}

/// Kilometres between two points, equirectangular (plenty for tens of kilometres).
fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let mean_lat = ((a.0 + b.0) / 2.0).to_radians();
    let dx = (a.1 - b.1).to_radians() * mean_lat.cos();
    let dy = (a.0 - b.0).to_radians();
    6371.0 * (dx * dx + dy * dy).sqrt()
}

#[test]
fn scales_parse_and_count() {
    for s in Scale::ALL {
        assert_eq!(Scale::parse(s.code()), Some(s));
    }
    assert_eq!(Scale::parse("galaxy"), None);
    assert!(Scale::District.organizations() >= 150);
    assert_eq!(Scale::District.people(), 1_000);
    assert!(Scale::National.organizations() >= 60_000);
    assert!(Scale::National.people() >= 500_000);
    let national = DemoSpec::new(Scale::National, 1);
    assert_eq!(national.batch_count(), 1 + 12 + 50);
    assert!(national.batch(national.batch_count()).is_none());
}

#[test]
fn same_seed_same_district_other_seed_other_district() {
    let a = district(7);
    assert_eq!(a, district(7));
    let b = district(8);
    assert_ne!(a[1].organizations[20], b[1].organizations[20]);
    assert_ne!(a[2].people[5].id, b[2].people[5].id);
    // Batches are independent: generating one alone gives the same rows.
    let spec = DemoSpec::new(Scale::District, 7);
    assert_eq!(spec.batch(2).as_ref(), a.get(2));
}

#[test]
fn district_counts_and_logins() {
    let batches = district(42);
    let orgs = all(&batches, |b| &b.organizations);
    let people = all(&batches, |b| &b.people);
    assert_eq!(orgs.len(), 160);
    assert_eq!(people.len(), 1_001);
    let emails: HashSet<&str> = people.iter().map(|p| p.email.as_str()).collect();
    assert_eq!(emails.len(), 1_001, "logins are unique");
    for n in 1..=1_000 {
        assert!(emails.contains(person_email(n).as_str()), "person-{n}");
    }
    assert!(!emails.contains("person-0@distretto.example"));
    assert!(!emails.contains("person-1001@distretto.example"));
    let coordinators: Vec<_> = people
        .iter()
        .filter(|p| p.role == Role::Coordinator)
        .collect();
    assert_eq!(coordinators.len(), 1);
    assert_eq!(coordinators[0].email, COORDINATOR_EMAIL);
    assert_eq!(
        coordinators[0].id,
        DemoSpec::new(Scale::District, 42).coordinator_id()
    );
    assert!(people.iter().all(|p| p.name.contains(' ')));
}

#[test]
fn every_kind_is_active_in_sensible_proportions() {
    let orgs = all(&district(3), |b| &b.organizations);
    let active: Vec<_> = orgs
        .iter()
        .filter(|o| o.status == OrganizationStatus::Active)
        .collect();
    assert!(active.len() >= 150, "{} active", active.len());
    let mut per_kind: BTreeMap<OrganizationKind, usize> = BTreeMap::new();
    for o in &active {
        *per_kind.entry(o.profile.kind).or_default() += 1;
    }
    assert_eq!(per_kind.len(), OrganizationKind::ALL.len(), "{per_kind:?}");
    let farms = per_kind[&OrganizationKind::Farm];
    let public = per_kind[&OrganizationKind::PublicPartner];
    assert!(farms > 3 * public, "{per_kind:?}");
    for o in &orgs {
        assert!(
            words::sectors(o.profile.kind)
                .iter()
                .any(|(s, _)| *s == o.profile.sector),
            "{} is {} in {}",
            o.profile.name,
            o.profile.kind,
            o.profile.sector
        );
    }
    assert!(
        orgs.iter()
            .filter(|o| o.profile.kind == OrganizationKind::Farm)
            .all(|o| o.profile.sector != Sector::Digital)
    );
}

#[test]
fn profiles_are_complete_and_pass_validation() {
    let orgs = all(&district(11), |b| &b.organizations);
    for o in &orgs {
        let p = &o.profile;
        let input = ProfileInput {
            name: p.name.clone(),
            kind: p.kind.code().into(),
            legal_form: p.legal_form.clone(),
            sector: p.sector.code().into(),
            description: p.description.clone(),
            website: p.website.clone().unwrap_or_default(),
            contact_email: p.contact_email.clone().unwrap_or_default(),
            phone: p.phone.clone().unwrap_or_default(),
            address: p.address.clone(),
            postcode: p.postcode.clone(),
            locality: p.locality.clone(),
            lat: p.lat.map(|v| v.to_string()).unwrap_or_default(),
            lon: p.lon.map(|v| v.to_string()).unwrap_or_default(),
            founded_year: p.founded_year.map(|v| v.to_string()).unwrap_or_default(),
            workers_fte: p.workers_fte.to_string(),
            volunteers: p.volunteers.to_string(),
        };
        let parsed = OrganizationProfile::parse(&input)
            .unwrap_or_else(|e| panic!("{} does not validate: {e}", p.name));
        assert_eq!(&parsed, p);
        for field in [
            &p.legal_form,
            &p.description,
            &p.address,
            &p.postcode,
            &p.locality,
        ] {
            assert!(!field.is_empty(), "{} has an empty field", p.name);
        }
        assert!(
            p.website
                .as_deref()
                .is_some_and(|w| w.ends_with(".example"))
        );
        assert!(
            p.contact_email
                .as_deref()
                .is_some_and(|e| e.ends_with(".example"))
        );
        assert!(p.founded_year.is_some_and(|y| (1900..=2025).contains(&y)));
        assert!(!p.description.contains('{'), "{}", p.description);
        assert!(!p.name.contains('{'), "{}", p.name);
        match o.status {
            OrganizationStatus::Pending => {
                assert!(o.charter_version.is_none() && o.charter_signed_at.is_none())
            }
            _ => {
                assert_eq!(o.charter_version, Some(CHARTER_VERSION));
                assert!(o.charter_signed_at.is_some());
            }
        }
    }
    let names: HashSet<&str> = orgs.iter().map(|o| o.profile.name.as_str()).collect();
    assert!(names.len() > orgs.len() * 9 / 10, "names are varied");
}

#[test]
fn district_is_around_aosta_in_both_languages() {
    let batches = district(5);
    let orgs = all(&batches, |b| &b.organizations);
    for o in &orgs {
        let p = &o.profile;
        let (Some(lat), Some(lon)) = (p.lat, p.lon) else {
            panic!("{} has no position", p.name);
        };
        let d = km((lat, lon), CENTRE);
        assert!(d < 50.0, "{} in {} is {d:.0} km away", p.name, p.locality);
        assert!(p.postcode.starts_with("11"), "{}", p.postcode);
        assert!(p.phone.as_deref().is_some_and(|t| t.starts_with("+39 01")));
    }
    let localities: HashSet<&str> = orgs.iter().map(|o| o.profile.locality.as_str()).collect();
    assert!(localities.contains("Aosta"));
    assert!(localities.len() >= 15, "{localities:?}");
    let french = orgs
        .iter()
        .filter(|o| {
            o.profile.description.contains(" nous ")
                || o.profile.description.starts_with("Nous")
                || o.profile.description.contains("Nous ")
        })
        .count();
    assert!(
        french > 10 && french < orgs.len() - 10,
        "{french} French descriptions"
    );
}

#[test]
fn memberships_accounts_decisions_and_applications_hold_together() {
    let spec = DemoSpec::new(Scale::District, 9);
    let batches: Vec<_> = spec.batches().collect();
    let orgs = all(&batches, |b| &b.organizations);
    let people = all(&batches, |b| &b.people);
    let memberships = all(&batches, |b| &b.memberships);
    let accounts = all(&batches, |b| &b.accounts);
    let decisions = all(&batches, |b| &b.decisions);
    let applications = all(&batches, |b| &b.applications);

    let org_ids: HashSet<Uuid> = orgs.iter().map(|o| o.id).collect();
    let person_ids: HashSet<Uuid> = people.iter().map(|p| p.id).collect();
    let mut pairs = HashSet::new();
    for m in &memberships {
        assert!(org_ids.contains(&m.organization_id));
        assert!(person_ids.contains(&m.person_id));
        assert!(
            pairs.insert((m.person_id, m.organization_id)),
            "duplicate membership"
        );
    }
    // Every organisation has its founder as admin; households join organisations.
    for o in &orgs {
        assert!(
            memberships
                .iter()
                .any(|m| m.organization_id == o.id && m.role == MemberRole::Admin),
            "{} has no admin",
            o.profile.name
        );
    }
    assert!(
        memberships.len() > people.len(),
        "{} memberships",
        memberships.len()
    );

    // One personal account per person, one per admitted organisation, two for the district.
    let mut owners = BTreeMap::new();
    for a in &accounts {
        *owners.entry(format!("{:?}", a.owner)).or_insert(0) += 1;
    }
    assert!(
        owners.values().all(|n| *n == 1),
        "an owner has two accounts"
    );
    let person_accounts = accounts
        .iter()
        .filter(|a| matches!(a.owner, DemoOwner::Person(id) if person_ids.contains(&id)))
        .count();
    assert_eq!(person_accounts, people.len());
    let admitted = orgs
        .iter()
        .filter(|o| o.status != OrganizationStatus::Pending)
        .count();
    let org_accounts = accounts
        .iter()
        .filter(|a| matches!(a.owner, DemoOwner::Organization(id) if org_ids.contains(&id)))
        .count();
    assert_eq!(org_accounts, admitted);
    assert_eq!(
        accounts
            .iter()
            .filter(|a| a.owner.kind_code() == "district" && a.owner.id().is_none())
            .count(),
        2
    );

    // Every id is distinct across tables.
    // Ids are v7 like the platform's, sorted in generation order within a table.
    assert!(people.iter().all(|p| p.id.get_version_num() == 7));
    assert!(people.windows(2).all(|w| w[0].id < w[1].id));
    assert!(orgs.windows(2).all(|w| w[0].id < w[1].id));
    let mut ids = HashSet::new();
    for id in orgs
        .iter()
        .map(|o| o.id)
        .chain(people.iter().map(|p| p.id))
        .chain(accounts.iter().map(|a| a.id))
        .chain(decisions.iter().map(|d| d.id))
        .chain(applications.iter().map(|a| a.id))
    {
        assert!(ids.insert(id), "id {id} repeats");
    }

    // An admission with a reason for every admitted organisation and person; a few suspensions.
    let admits: HashSet<Uuid> = decisions
        .iter()
        .filter(|d| d.decision == Decision::Admit)
        .map(|d| d.subject.id())
        .collect();
    for o in orgs
        .iter()
        .filter(|o| o.status != OrganizationStatus::Pending)
    {
        assert!(admits.contains(&o.id));
    }
    for p in people
        .iter()
        .filter(|p| p.membership_status != MembershipStatus::Pending)
    {
        assert!(admits.contains(&p.id));
    }
    assert!(decisions.iter().all(|d| d.reason.chars().count() >= 3));
    let coordinator = spec.coordinator_id();
    assert!(
        decisions
            .iter()
            .all(|d| d.decided_by == Some(coordinator) || d.subject.id() == coordinator)
    );
    let suspended_orgs = orgs
        .iter()
        .filter(|o| o.status == OrganizationStatus::Suspended)
        .count();
    let suspended_people = people
        .iter()
        .filter(|p| p.membership_status == MembershipStatus::Suspended)
        .count();
    assert!((1..=3).contains(&(suspended_orgs + suspended_people)));
    assert_eq!(
        decisions
            .iter()
            .filter(|d| d.decision == Decision::Suspend)
            .count(),
        suspended_orgs + suspended_people
    );

    // A few pending applications of every kind for coordinators to review.
    for kind in [
        ApplicationKind::Individual,
        ApplicationKind::NewOrganization,
        ApplicationKind::ExistingOrganization,
    ] {
        assert!(applications.iter().any(|a| a.kind == kind), "{kind:?}");
    }
    assert!((3..=20).contains(&applications.len()));
    for a in &applications {
        assert!(person_ids.contains(&a.person_id));
        assert!(a.organization_id.is_none_or(|o| org_ids.contains(&o)));
        assert!(!a.message.contains('{'));
        if a.kind == ApplicationKind::NewOrganization {
            let org = orgs.iter().find(|o| Some(o.id) == a.organization_id);
            assert_eq!(org.map(|o| o.status), Some(OrganizationStatus::Pending));
        }
    }
    let pending_people = people
        .iter()
        .filter(|p| p.membership_status == MembershipStatus::Pending)
        .count();
    assert_eq!(
        pending_people,
        applications
            .iter()
            .filter(|a| a.kind == ApplicationKind::Individual)
            .count()
    );
}

#[test]
fn timestamps_fall_in_the_demo_year_in_order() {
    let batches = district(13);
    let earliest = BASE_DATE - Duration::days(400);
    let ok = |t: OffsetDateTime| earliest <= t && t <= BASE_DATE;
    for b in &batches {
        for o in &b.organizations {
            assert!(ok(o.created_at) && ok(o.updated_at) && o.created_at <= o.updated_at);
            assert!(
                o.charter_signed_at
                    .is_none_or(|s| s >= o.created_at && ok(s))
            );
        }
        for p in &b.people {
            assert!(ok(p.created_at) && ok(p.updated_at) && p.created_at <= p.updated_at);
        }
        for m in &b.memberships {
            assert!(ok(m.created_at));
        }
        for d in &b.decisions {
            assert!(ok(d.decided_at));
        }
        for a in b
            .applications
            .iter()
            .map(|a| a.created_at)
            .chain(b.accounts.iter().map(|a| a.created_at))
        {
            assert!(ok(a));
        }
    }
}

#[test]
fn national_scale_spreads_over_italy_and_france() {
    let spec = DemoSpec::new(Scale::National, 1);
    // The last organisation batch and one people batch are enough to see the spread.
    let orgs = spec.batch(12).map(|b| b.organizations).unwrap_or_default();
    assert_eq!(orgs.len(), ORGANIZATIONS_PER_BATCH as usize);
    let localities: HashSet<&str> = orgs.iter().map(|o| o.profile.locality.as_str()).collect();
    assert!(localities.len() >= 60, "{} places", localities.len());
    let far = orgs
        .iter()
        .filter(|o| {
            o.profile
                .lat
                .is_some_and(|lat| km((lat, o.profile.lon.unwrap_or(0.0)), CENTRE) > 200.0)
        })
        .count();
    assert!(far > orgs.len() / 2, "{far} far from Aosta");
    assert!(orgs.iter().any(|o| {
        o.profile
            .phone
            .as_deref()
            .is_some_and(|p| p.starts_with("+33"))
    }));
    assert!(orgs.iter().any(|o| o.profile.locality == "Roma"));
    let people = spec.batch(spec.batch_count() - 1).unwrap_or_default();
    assert_eq!(people.people.len(), PEOPLE_PER_BATCH as usize);
    assert_eq!(
        people.people.last().map(|p| p.email.as_str()),
        Some("person-500000@distretto.example")
    );
}

#[test]
fn slugs_are_host_names() {
    assert_eq!(slug("Ferme du Grand-Paradis"), "ferme-du-grand-paradis");
    assert_eq!(
        slug("Società Cooperativa L'Alveare"),
        "societa-cooperativa-l-alveare"
    );
    assert!(slug(&"Cooperativa ".repeat(10)).len() <= 40);
    assert_eq!(de("Aosta"), "d'Aosta");
    assert_eq!(de("Chambéry"), "de Chambéry");
}

mod trade {
    use super::super::trade::DemoTrade;
    use super::*;
    use crate::ledger::{
        Currency, GENESIS_HASH, InvoiceStatus, Replay, StoredAccount, TransferKind, default_limits,
        entry_hash,
    };
    use std::collections::HashMap;
    use std::sync::OnceLock;

    fn currency() -> Currency {
        Currency::new("AOC", "Aosta", "A", 2).unwrap()
    }

    /// The district trade of seed 2026, computed once for the tests that read it.
    fn district() -> &'static (DemoSpec, DemoTrade) {
        static TRADE: OnceLock<(DemoSpec, DemoTrade)> = OnceLock::new();
        TRADE.get_or_init(|| {
            let spec = DemoSpec::new(Scale::District, 2026);
            (spec, spec.trade(&currency()))
        })
    }

    #[test]
    fn same_seed_same_trade_other_seed_other_trade() {
        let (spec, trade) = district();
        let again = spec.trade(&currency());
        assert!(again == *trade, "same seed, same trade");
        let other = DemoSpec::new(Scale::District, 2027).trade(&currency());
        assert_ne!(other.head_hash, trade.head_hash);
    }

    #[test]
    fn a_year_of_trade_at_district_scale() {
        let (_, t) = district();
        let n = t.transfers.len();
        assert!((30_000..=60_000).contains(&n), "{n} transfers");
        let mut kinds: HashMap<TransferKind, usize> = HashMap::new();
        for x in &t.transfers {
            *kinds.entry(x.entry.kind).or_default() += 1;
        }
        // Clearing transfers come from credit-assisted clearing rounds, which the generated
        // year does not run (coordinators run them on the demo district); grants are paid by
        // the platform from the fund when it applies the demo's participatory budget; booking
        // fees are posted through the writer when the demo's resources are booked.
        let later = [
            TransferKind::Clearing,
            TransferKind::Grant,
            TransferKind::Booking,
            TransferKind::BookingRefund,
            TransferKind::Federation,
        ];
        for kind in TransferKind::ALL.into_iter().filter(|k| !later.contains(k)) {
            assert!(kinds.get(&kind).is_some_and(|n| *n > 0), "{kinds:?}");
        }
        let mut statuses: HashMap<InvoiceStatus, usize> = HashMap::new();
        for i in &t.invoices {
            *statuses.entry(i.status).or_default() += 1;
        }
        let mut requests: HashMap<&str, usize> = HashMap::new();
        for r in &t.requests {
            *requests.entry(r.status).or_default() += 1;
        }
        eprintln!(
            "{n} transfers {kinds:?}; {} invoices {statuses:?}, {} events; {} requests {requests:?}",
            t.invoices.len(),
            t.invoice_events.len(),
            t.requests.len()
        );
        assert!(t.invoices.len() >= 200, "{} invoices", t.invoices.len());
        assert!(t.requests.len() >= 50, "{} requests", t.requests.len());
        // The year ends near the demo's "now" and spans most of it.
        let first = t.transfers.first().map(|x| x.entry.created_at).unwrap();
        let last = t.transfers.last().map(|x| x.entry.created_at).unwrap();
        assert!(
            first >= START && first < START + Duration::days(30),
            "{first}"
        );
        assert!(
            last < BASE_DATE && last > BASE_DATE - Duration::days(2),
            "{last}"
        );
        // Memos in both languages, bounded, never empty.
        assert!(t.transfers.iter().all(|x| {
            let m = &x.entry.memo;
            !m.is_empty() && m.chars().count() <= 280
        }));
        let french = t
            .transfers
            .iter()
            .filter(|x| x.entry.memo.contains("Commande") || x.entry.memo.contains("Panier"))
            .count();
        let italian = t
            .transfers
            .iter()
            .filter(|x| x.entry.memo.contains("Ordine") || x.entry.memo.contains("Spesa"))
            .count();
        assert!(
            french > 500 && italian > french,
            "{french} French, {italian} Italian"
        );
    }

    #[test]
    fn the_journal_replays_within_limits() {
        let (spec, t) = district();
        let unit = currency().unit_minor();
        let balances: HashMap<uuid::Uuid, i64> = t.balances.iter().copied().collect();
        let accounts: Vec<DemoAccount> = spec.batches().flat_map(|b| b.accounts).collect();
        let opened: HashMap<uuid::Uuid, OffsetDateTime> =
            accounts.iter().map(|a| (a.id, a.created_at)).collect();
        let mut replay = Replay::new();
        for a in &accounts {
            replay.account(StoredAccount {
                id: a.id,
                currency: "AOC".into(),
                balance_minor: balances.get(&a.id).copied().unwrap_or(0),
                limits: default_limits(a.limit_holder, unit),
            });
        }
        let mut prev = GENESIS_HASH;
        let mut at = START - Duration::days(60);
        for (i, x) in t.transfers.iter().enumerate() {
            let e = &x.entry;
            assert_eq!(e.seq, i as i64 + 1);
            assert_eq!(x.prev_hash, prev);
            assert_eq!(x.hash, entry_hash(&prev, e));
            assert!(e.created_at >= at, "entry {} goes back in time", e.seq);
            assert!(e.created_at >= opened[&e.payer] && e.created_at >= opened[&e.payee]);
            assert!(e.created_by.is_some());
            replay.entry(e, &x.prev_hash, &x.hash);
            prev = x.hash;
            at = e.created_at;
        }
        assert_eq!(t.head_hash, prev);
        let report = replay.finish(t.head_seq, &t.head_hash);
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(report.transfers as usize, t.transfers.len());
        // Reversals mirror the payment they correct, once.
        let by_id: HashMap<uuid::Uuid, &JournalEntryRef> =
            t.transfers.iter().map(|x| (x.entry.id, &x.entry)).collect();
        let mut reversed = std::collections::HashSet::new();
        for x in t
            .transfers
            .iter()
            .filter(|x| x.entry.kind == TransferKind::Reversal)
        {
            let original = by_id[&x.entry.reverses.unwrap()];
            assert_eq!(original.kind, TransferKind::Payment);
            assert_eq!(
                (original.payer, original.payee, original.amount_minor),
                (x.entry.payee, x.entry.payer, x.entry.amount_minor)
            );
            assert!(reversed.insert(original.id));
        }
    }

    type JournalEntryRef = crate::ledger::JournalEntry;

    #[test]
    fn invoices_add_up() {
        let (_, t) = district();
        let mut statuses: HashMap<InvoiceStatus, usize> = HashMap::new();
        let mut paid_by_transfer: HashMap<uuid::Uuid, i64> = HashMap::new();
        for x in t
            .transfers
            .iter()
            .filter(|x| x.entry.kind == TransferKind::Invoice)
        {
            *paid_by_transfer
                .entry(x.entry.invoice_id.unwrap())
                .or_default() += x.entry.amount_minor;
        }
        let mut events: HashMap<uuid::Uuid, Vec<&super::super::trade::DemoInvoiceEvent>> =
            HashMap::new();
        for e in &t.invoice_events {
            events.entry(e.invoice_id).or_default().push(e);
        }
        let today = BASE_DATE.date();
        let mut overdue = 0;
        for i in &t.invoices {
            *statuses.entry(i.status).or_default() += 1;
            assert!(0 <= i.paid_minor && i.paid_minor <= i.amount_minor, "{i:?}");
            assert_eq!(
                i.status == InvoiceStatus::Paid,
                i.paid_minor == i.amount_minor
            );
            if i.status == InvoiceStatus::Cancelled {
                assert_eq!(i.paid_minor, 0);
            }
            assert_ne!(i.creditor, i.debtor);
            assert!(i.created_at <= i.updated_at && i.updated_at < BASE_DATE);
            let history = &events[&i.id];
            assert_eq!(history[0].action, "issued");
            assert_eq!(history[0].amount_minor, Some(i.amount_minor));
            assert!(
                history
                    .windows(2)
                    .all(|w| w[0].created_at <= w[1].created_at)
            );
            let recorded: i64 = history
                .iter()
                .filter(|e| e.action.starts_with("paid_"))
                .filter_map(|e| e.amount_minor)
                .sum();
            assert_eq!(recorded, i.paid_minor);
            if i.currency == "EUR" {
                assert!(!paid_by_transfer.contains_key(&i.id));
                assert!(history.iter().all(|e| e.action != "paid_transfer"));
            } else {
                assert_eq!(
                    paid_by_transfer.get(&i.id).copied().unwrap_or(0),
                    i.paid_minor
                );
            }
            if i.status == InvoiceStatus::Disputed {
                assert!(i.dispute_reason.is_some());
            }
            if crate::ledger::invoice::overdue(
                i.status,
                crate::ledger::InvoiceAmounts {
                    amount_minor: i.amount_minor,
                    paid_minor: i.paid_minor,
                    set_off_minor: 0,
                },
                i.due_on,
                today,
            ) {
                overdue += 1;
            }
        }
        for s in InvoiceStatus::ALL {
            assert!(statuses.get(&s).is_some_and(|n| *n >= 5), "{statuses:?}");
        }
        let partly = t
            .invoices
            .iter()
            .filter(|i| i.status == InvoiceStatus::Accepted && i.paid_minor > 0)
            .count();
        assert!(
            partly > 0 && overdue >= 20,
            "{partly} partly paid, {overdue} overdue"
        );
        assert!(t.invoices.iter().any(|i| i.currency == "EUR"));
        assert!(t.invoices.iter().any(|i| i.currency == "AOC"));
    }

    #[test]
    fn requests_are_paid_by_their_transfer() {
        let (_, t) = district();
        let transfers: HashMap<uuid::Uuid, &crate::ledger::JournalEntry> =
            t.transfers.iter().map(|x| (x.entry.id, &x.entry)).collect();
        let mut statuses: HashMap<&str, usize> = HashMap::new();
        for r in &t.requests {
            *statuses.entry(r.status).or_default() += 1;
            assert_eq!(r.status == "open", r.decided_at.is_none());
            assert_eq!(r.status == "paid", r.transfer_id.is_some());
            if let Some(id) = r.transfer_id {
                let e = transfers[&id];
                assert_eq!(e.kind, TransferKind::Request);
                assert_eq!(e.request_id, Some(r.id));
                assert_eq!(
                    (e.payee, Some(e.payer), e.amount_minor),
                    (r.payee, r.payer, r.amount_minor)
                );
            }
        }
        for s in ["open", "paid", "declined", "cancelled"] {
            assert!(statuses.get(s).is_some_and(|n| *n > 0), "{statuses:?}");
        }
        assert!(
            t.requests.iter().any(|r| r.payer.is_none()),
            "a stall's open request"
        );
    }

    #[test]
    fn purchase_transfers_are_the_cycles_settlements_and_instalments() {
        use std::collections::HashSet;
        let (spec, t) = district();
        let p = &t.purchasing;
        let transfers: HashMap<uuid::Uuid, &crate::ledger::JournalEntry> =
            t.transfers.iter().map(|x| (x.entry.id, &x.entry)).collect();
        let org_account: HashMap<uuid::Uuid, uuid::Uuid> = spec
            .batches()
            .flat_map(|b| b.accounts)
            .filter_map(|a| match a.owner {
                DemoOwner::Organization(o) => Some((o, a.id)),
                _ => None,
            })
            .collect();
        let mut by_cycle: HashMap<
            uuid::Uuid,
            Vec<&super::super::trade::purchasing::DemoSettlement>,
        > = HashMap::new();
        for s in &p.settlements {
            by_cycle.entry(s.cycle_id).or_default().push(s);
        }
        let mut referenced = HashSet::new();
        let mut statuses: HashMap<&str, usize> = HashMap::new();
        let (mut in_credit, mut in_euro, mut households_euro) = (0, 0, 0);
        for c in &p.cycles {
            *statuses.entry(c.status).or_default() += 1;
            let rows = by_cycle.remove(&c.id).unwrap_or_default();
            assert_eq!(c.status == "settled", !rows.is_empty(), "{c:?}");
            if rows.is_empty() {
                continue;
            }
            let group = org_account[&c.group_id];
            let charges: i64 = rows
                .iter()
                .filter(|r| r.role.starts_with("household"))
                .map(|r| r.amount_minor)
                .sum();
            let payouts: i64 = rows
                .iter()
                .filter(|r| r.role == "producer")
                .map(|r| r.amount_minor)
                .sum();
            let fees: Vec<_> = rows.iter().filter(|r| r.role == "group").collect();
            assert_eq!(fees.len(), 1);
            assert_eq!(fees[0].account_id, group);
            assert!(fees[0].transfer_id.is_none());
            assert_eq!(charges, payouts + fees[0].amount_minor, "cycle {}", c.id);
            let euro = c.currency == "EUR";
            if euro {
                in_euro += 1;
            } else {
                in_credit += 1;
            }
            for r in &rows {
                match (r.role, r.transfer_id) {
                    ("household_euro", None) => households_euro += usize::from(!euro),
                    ("household", Some(id)) if !euro => {
                        let e = transfers[&id];
                        assert_eq!(e.kind, TransferKind::Purchase);
                        assert_eq!(
                            (e.payer, e.payee, e.amount_minor),
                            (r.account_id, group, r.amount_minor)
                        );
                        assert!(referenced.insert(id));
                    }
                    ("producer", Some(id)) if !euro => {
                        let e = transfers[&id];
                        assert_eq!(e.kind, TransferKind::Purchase);
                        assert_eq!(
                            (e.payer, e.payee, e.amount_minor),
                            (group, r.account_id, r.amount_minor)
                        );
                        assert!(referenced.insert(id));
                    }
                    ("producer", None) if euro => {}
                    ("group", None) => {}
                    other => panic!("settlement {other:?} in cycle {c:?}"),
                }
            }
        }
        assert!(by_cycle.is_empty(), "settlements of unknown cycles");
        // Paid instalments are purchases from the household to the farm.
        let plans: HashMap<uuid::Uuid, &super::super::trade::purchasing::DemoPlan> =
            p.plans.iter().map(|x| (x.id, x)).collect();
        let subs: HashMap<uuid::Uuid, &super::super::trade::purchasing::DemoSubscription> =
            p.subscriptions.iter().map(|x| (x.id, x)).collect();
        let mut totals: HashMap<uuid::Uuid, i64> = HashMap::new();
        let mut paid = 0;
        let (mut past_due, mut unpaid) = (0, 0);
        for i in &p.instalments {
            *totals.entry(i.subscription_id).or_default() += i.amount_minor;
            let sub = subs[&i.subscription_id];
            let plan = plans[&sub.plan_id];
            assert_eq!(i.paid_at.is_some(), i.transfer_id.is_some());
            if i.due < super::super::BASE_DATE.date() {
                past_due += 1;
                unpaid += usize::from(i.paid_at.is_none());
            }
            if let Some(id) = i.transfer_id {
                let e = transfers[&id];
                assert_eq!(e.kind, TransferKind::Purchase);
                assert_eq!(
                    (e.payer, e.payee, e.amount_minor),
                    (sub.account_id, org_account[&plan.farm_id], i.amount_minor)
                );
                assert!(referenced.insert(id));
                paid += 1;
            }
        }
        for s in &p.subscriptions {
            let plan = plans[&s.plan_id];
            let deliveries = p
                .share_deliveries
                .iter()
                .filter(|d| d.subscription_id == s.id)
                .count() as i64;
            assert_eq!(totals[&s.id], plan.share_price_minor * deliveries);
        }
        // Households keep up with their subscriptions: most instalments due before the demo's
        // "now" are paid (42 % were left unpaid when any household subscribed and a refused
        // instalment was never tried again).
        assert!(
            unpaid * 5 <= past_due,
            "{unpaid} of {past_due} instalments due are unpaid"
        );
        // Every purchase transfer is accounted for, once.
        let purchases = t
            .transfers
            .iter()
            .filter(|x| x.entry.kind == TransferKind::Purchase)
            .count();
        assert_eq!(purchases, referenced.len());
        eprintln!(
            "{} products, {} pickup points, {} cycles {statuses:?} ({in_credit} settled in credit, {in_euro} in euro, {households_euro} households in euro), {} orders, {} lines, {} deliveries; {} plans, {} subscriptions, {} instalments ({paid} paid, {unpaid} of {past_due} due unpaid); {purchases} purchase transfers",
            p.products.len(),
            p.pickup_points.len(),
            p.cycles.len(),
            p.orders.len(),
            p.lines.len(),
            p.deliveries.len(),
            p.plans.len(),
            p.subscriptions.len(),
            p.instalments.len()
        );
        assert!(
            in_credit >= 100 && in_euro >= 5,
            "{in_credit} in credit, {in_euro} in euro"
        );
        assert!(
            statuses.get("cancelled").is_some_and(|n| *n >= 1),
            "{statuses:?}"
        );
        assert!(paid >= 20 && p.subscriptions.len() >= 20);
        assert!(p.products.len() >= 100);
    }

    #[test]
    fn every_group_has_a_cycle_open_now_and_orders_hold_together() {
        use crate::purchasing::catalogue::ProductDraft;
        let (_, t) = district();
        let p = &t.purchasing;
        let mut groups: HashMap<uuid::Uuid, Vec<&super::super::trade::purchasing::DemoCycle>> =
            HashMap::new();
        for c in &p.cycles {
            groups.entry(c.group_id).or_default().push(c);
            assert!(c.opens_at < c.closes_at && c.created_at < c.opens_at);
            assert!(c.opens_at >= START && c.opens_at < BASE_DATE);
        }
        assert!(groups.len() >= 5, "{} groups", groups.len());
        assert!(p.cycles.len() >= 200, "{} cycles", p.cycles.len());
        for (g, cycles) in &groups {
            let open: Vec<_> = cycles.iter().filter(|c| c.status == "open").collect();
            assert_eq!(open.len(), 1, "group {g}");
            let c = open[0];
            assert!(c.closes_at > BASE_DATE && c.closes_at < BASE_DATE + Duration::days(7));
            assert!(p.cycle_products.iter().any(|x| x.cycle_id == c.id));
            assert!(p.cycle_pickups.iter().any(|x| x.cycle_id == c.id));
            // Weekly or fortnightly, numbered in order.
            let mut numbers: Vec<i64> = cycles.iter().map(|c| c.number).collect();
            numbers.sort_unstable();
            assert_eq!(numbers, (1..=cycles.len() as i64).collect::<Vec<_>>());
        }
        assert!(
            p.cycles
                .iter()
                .filter(|c| c.status == "open")
                .any(|c| p.orders.iter().any(|o| o.cycle_id == c.id)),
            "someone already ordered in an open cycle"
        );
        let products: HashMap<uuid::Uuid, &super::super::trade::purchasing::DemoProduct> =
            p.products.iter().map(|x| (x.id, x)).collect();
        for x in &p.products {
            let draft = ProductDraft {
                name: x.name.clone(),
                description: x.description.clone(),
                unit: x.unit.to_owned(),
                package_size_milli: Some(x.package_size_milli),
                step_milli: Some(x.step_milli),
                price_euro_minor: x.price_euro_minor,
                price_credit_minor: x.price_credit_minor,
                vat_basis_points: x.vat_basis_points as u16,
                origin: x.origin.clone(),
                certifications: x
                    .certifications
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
                season_months: x.season_months as u16,
                stock_milli: x.stock_milli,
            };
            assert!(draft.check().is_ok(), "{x:?}");
        }
        assert!(
            p.products
                .iter()
                .any(|x| x.package_size_milli > x.step_milli)
        );
        assert!(p.products.iter().any(|x| x.stock_milli.is_some()));
        let cycles: HashMap<uuid::Uuid, &super::super::trade::purchasing::DemoCycle> =
            p.cycles.iter().map(|x| (x.id, x)).collect();
        let orders: HashMap<uuid::Uuid, &super::super::trade::purchasing::DemoOrder> =
            p.orders.iter().map(|x| (x.id, x)).collect();
        for l in &p.lines {
            let product = products[&l.product_id];
            assert!(l.quantity_milli > 0 && l.quantity_milli % product.step_milli == 0);
            let c = cycles[&orders[&l.order_id].cycle_id];
            let closed = matches!(c.status, "delivered" | "settled");
            assert_eq!(l.allocated_milli.is_some(), closed, "{c:?}");
            assert_eq!(l.delivered_milli.is_some(), closed);
        }
        assert!(!p.deliveries.is_empty());
        for d in &p.deliveries {
            assert!(d.weight_g > 0);
            assert!(d.distance_m.is_some_and(|m| m < 150_000), "{d:?}");
        }
    }

    #[test]
    fn larger_scales_trade_among_a_bounded_community() {
        for scale in [Scale::Region, Scale::National] {
            let spec = DemoSpec::new(scale, 1);
            assert_eq!(
                spec.trade_organizations(),
                super::super::trade::MAX_TRADE_ORGANIZATIONS
            );
            assert_eq!(spec.trade_people(), super::super::trade::MAX_TRADE_PEOPLE);
        }
        let district = DemoSpec::new(Scale::District, 1);
        assert_eq!(district.trade_organizations(), 160);
        assert_eq!(district.trade_people(), 1_000);
    }
}
