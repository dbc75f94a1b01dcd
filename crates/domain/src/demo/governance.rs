//! The demo district's democracy: its assembly of member organisations, its members' assembly
//! and a multi-stakeholder council with weighted colleges, a year of proposals decided by every
//! method (open and secret ballots), one vote open now, one proposal in deliberation and one
//! draft. Deterministic: the same seed and voters give the same records.

use super::{BASE_DATE, START, Stream, stream_id, stream_rng};
use crate::governance::{
    self as gov, Choice, College, ConsentChoice, Method, Rules, Stance, Tally, ThresholdRule,
};
use rand::Rng;
use rand::seq::SliceRandom;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A body of the demo district.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoBody {
    pub id: Uuid,
    pub name: &'static str,
    pub description: &'static str,
    /// `organizations`, `people` or `colleges`.
    pub electorate: &'static str,
    pub max_proxies: i32,
    /// (id, name, weight), in name order.
    pub colleges: Vec<(Uuid, &'static str, u32)>,
    /// Listed voters of a `colleges` body: (voter, kind, college index).
    pub voters: Vec<(Uuid, &'static str, usize)>,
}

/// A counted ballot.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoBallot {
    pub voter: Uuid,
    pub cast_by: Uuid,
    pub college: usize,
    pub choice: Choice,
    /// The receipt code of a secret ballot.
    pub receipt: String,
    pub cast_at: OffsetDateTime,
}

/// A comment: (id, answered comment, author, text, when).
pub type DemoComment = (Uuid, Option<Uuid>, Uuid, &'static str, OffsetDateTime);

/// A proposal with its electorate, ballots and (once closed) tally.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoProposal {
    pub id: Uuid,
    pub body: usize,
    pub number: i64,
    pub title: &'static str,
    pub text: &'static str,
    pub author: Uuid,
    /// `draft`, `deliberation`, `voting` or `closed`.
    pub status: &'static str,
    pub rules: Rules,
    pub options: Vec<&'static str>,
    pub secret: bool,
    pub created_at: OffsetDateTime,
    pub opens_at: Option<OffsetDateTime>,
    pub closes_at: Option<OffsetDateTime>,
    /// The frozen electorate: (voter, kind, college index).
    pub electorate: Vec<(Uuid, &'static str, usize)>,
    pub ballots: Vec<DemoBallot>,
    pub tally: Option<Tally>,
    pub comments: Vec<DemoComment>,
    /// A participatory budget's amount, and its projects.
    pub budget_minor: Option<i64>,
    pub projects: Vec<DemoProject>,
}

/// A project of the demo's participatory budget.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoProject {
    pub id: Uuid,
    pub title: &'static str,
    pub description: &'static str,
    pub cost_minor: i64,
    /// The submitter, and the account its grant goes to.
    pub submitted_by: Uuid,
    pub account: Uuid,
    /// `eligible` or `ineligible`.
    pub status: &'static str,
    pub review_note: &'static str,
    pub option_index: Option<i32>,
    pub selected: bool,
    pub greedy_selected: bool,
}

/// The demo's participatory budget: (title, description, cost in whole units, eligible).
const PROJECTS: [(&str, &str, i64, bool); 7] = [
    (
        "Community kitchen",
        "A shared kitchen for the purchasing groups' preserves.",
        6_000,
        true,
    ),
    (
        "Kitchen garden at the school",
        "Raised beds and tools for the primary school.",
        4_000,
        true,
    ),
    (
        "Seed library",
        "Shelves and a fridge for local seeds.",
        3_000,
        true,
    ),
    (
        "Repair café",
        "Tools and a bench for monthly repair evenings.",
        2_500,
        true,
    ),
    (
        "Cargo bike for deliveries",
        "A cargo bike shared by the pickup points.",
        3_500,
        true,
    ),
    (
        "Mountain footpath signs",
        "Signs for the paths between the farms.",
        1_500,
        true,
    ),
    (
        "Fireworks for the fair",
        "One evening of fireworks.",
        2_000,
        false,
    ),
];

/// The demo's governance records.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemoGovernance {
    pub bodies: Vec<DemoBody>,
    pub proposals: Vec<DemoProposal>,
}

/// What a proposal of the demo asks, and how.
struct Plan {
    body: usize,
    title: &'static str,
    text: &'static str,
    method: Method,
    threshold: ThresholdRule,
    options: &'static [&'static str],
    seats: u16,
    secret: bool,
}

const fn plan(body: usize, title: &'static str, text: &'static str, method: Method) -> Plan {
    Plan {
        body,
        title,
        text,
        method,
        threshold: ThresholdRule::MoreThanHalf,
        options: &[],
        seats: 1,
        secret: false,
    }
}

/// The closed proposals, one every few weeks of the demo year.
fn plans() -> Vec<Plan> {
    vec![
        plan(
            0,
            "Adopt the district charter, second edition",
            "The charter gains a chapter on fair prices and on the care of common land.",
            Method::Majority,
        ),
        plan(
            0,
            "Raise the default credit limit of cooperatives to 3,000",
            "Cooperatives trade more than other members; a wider limit lets them buy locally before they sell.",
            Method::Majority,
        ),
        Plan {
            threshold: ThresholdRule::AtLeastPercent(67),
            ..plan(
                0,
                "Change the statutes: admit associations as full members",
                "A qualified majority of two thirds is needed to change the statutes.",
                Method::Majority,
            )
        },
        plan(
            0,
            "Share the cold room of the Mercato coperto",
            "The cold room is booked by the hour through the district.",
            Method::Consent,
        ),
        Plan {
            options: &["Electric van", "Cargo bikes", "Shared car pool"],
            ..plan(
                0,
                "Which delivery fleet should the fund support?",
                "The fund can support one way of delivering the purchasing groups' orders.",
                Method::Approval,
            )
        },
        plan(
            0,
            "Open the district to the neighbouring valley",
            "Members there may join under the same charter.",
            Method::Majority,
        ),
        plan(
            0,
            "Publish the impact report every year",
            "Funders and municipalities ask for it.",
            Method::Consent,
        ),
        Plan {
            options: &["Spring", "Summer", "Autumn"],
            ..plan(
                0,
                "When should the district fair take place?",
                "One fair a year, in the season most members choose.",
                Method::Schulze,
            )
        },
        Plan {
            options: &[
                "Giulia Ferrero",
                "Marco Bertolino",
                "Sara Chabod",
                "Luca Pession",
            ],
            seats: 2,
            secret: true,
            ..plan(
                1,
                "Elect two members' delegates to the council",
                "Secret ballot; rank the candidates you support.",
                Method::Schulze,
            )
        },
        Plan {
            options: &["Community kitchen", "Repair café", "Seed library"],
            ..plan(
                1,
                "Which project should the members' fund start with?",
                "Give each project a score from 0 to 5.",
                Method::Score,
            )
        },
        Plan {
            options: &["Saturday", "Sunday", "Wednesday evening"],
            ..plan(
                1,
                "Market day",
                "Rank the days; instant run-off.",
                Method::InstantRunoff,
            )
        },
        plan(
            1,
            "Join the regional network of solidarity economy districts",
            "Membership costs 200 credits a year.",
            Method::Majority,
        ),
        plan(
            2,
            "Fair price for milk: 0.60 per litre to producers",
            "The council weighs workers, consumers and producers equally.",
            Method::Majority,
        ),
        plan(
            2,
            "Adopt the multi-stakeholder pricing rules",
            "Prices are reviewed each season by the council.",
            Method::Consent,
        ),
    ]
}

const OBJECTIONS: [&str; 3] = [
    "The cost for small members is not addressed.",
    "It needs a trial period first.",
    "The text does not say who decides in an emergency.",
];

const COMMENTS: [&str; 6] = [
    "Who keeps the keys?",
    "The bakery offered to.",
    "Could we try it for three months first?",
    "Good idea, as long as small members are heard.",
    "How will we measure whether it works?",
    "The working group can report at the next assembly.",
];

/// The demo's bodies and a year of proposals. `people` are the individual members, `orgs` the
/// active member organisations with one admin each (who votes for it), `coordinator` writes
/// the district's proposals.
pub fn governance(
    seed: u64,
    coordinator: Uuid,
    people: &[Uuid],
    orgs: &[(Uuid, Uuid)],
    accounts: &[(Uuid, Uuid)],
) -> DemoGovernance {
    let mut next_id = 0_u64;
    let mut id = || {
        next_id += 1;
        stream_id(seed, Stream::GovernanceId, next_id)
    };
    let bodies = bodies(&mut id, people, orgs);
    let mut proposals = Vec::new();
    let all = plans();
    let count = all.len();
    for (i, p) in all.into_iter().enumerate() {
        let start = START + Duration::days(20 + (i as i64) * 330 / count as i64);
        let closes = start + Duration::days(10);
        proposals.push(proposal(
            seed,
            &mut id,
            &bodies,
            (people, orgs),
            p,
            i,
            start,
            Some(closes),
            coordinator,
        ));
    }
    proposals.push(budget(
        seed,
        &mut id,
        &bodies,
        people,
        accounts,
        count,
        coordinator,
    ));
    let count = count + 1;
    // One vote open now, one in deliberation, one draft.
    let open = plan(
        0,
        "Allocate 5,000 credits from the fund to the seed library",
        "The seed library asks for shelves and a fridge.",
        Method::Majority,
    );
    proposals.push(proposal(
        seed,
        &mut id,
        &bodies,
        (people, orgs),
        open,
        count,
        BASE_DATE - Duration::days(3),
        None,
        coordinator,
    ));
    let mut deliberation = proposal(
        seed,
        &mut id,
        &bodies,
        (people, orgs),
        plan(
            1,
            "A members' car-sharing scheme",
            "Members lend their cars through the district, with insurance paid in credit.",
            Method::Consent,
        ),
        count + 1,
        BASE_DATE - Duration::days(6),
        None,
        coordinator,
    );
    deliberation.status = "deliberation";
    deliberation.opens_at = None;
    deliberation.electorate.clear();
    deliberation.ballots.clear();
    proposals.push(deliberation);
    let mut draft = proposal(
        seed,
        &mut id,
        &bodies,
        (people, orgs),
        plan(
            0,
            "Winter opening hours of the district office",
            "Shorter hours from December to February.",
            Method::Majority,
        ),
        count + 2,
        BASE_DATE - Duration::days(1),
        None,
        coordinator,
    );
    draft.status = "draft";
    draft.opens_at = None;
    draft.electorate.clear();
    draft.ballots.clear();
    draft.comments.clear();
    proposals.push(draft);
    DemoGovernance { bodies, proposals }
}

fn bodies(id: &mut impl FnMut() -> Uuid, people: &[Uuid], orgs: &[(Uuid, Uuid)]) -> Vec<DemoBody> {
    let colleges = vec![
        (id(), "Consumers", 30),
        (id(), "Producers", 30),
        (id(), "Workers", 40),
    ];
    let mut voters: Vec<(Uuid, &'static str, usize)> = Vec::new();
    voters.extend(people.iter().take(30).map(|p| (*p, "person", 0)));
    voters.extend(orgs.iter().take(20).map(|o| (o.0, "organization", 1)));
    voters.extend(people.iter().skip(30).take(30).map(|p| (*p, "person", 2)));
    vec![
        DemoBody {
            id: id(),
            name: "District assembly",
            description: "One member organisation, one vote.",
            electorate: "organizations",
            max_proxies: 2,
            colleges: Vec::new(),
            voters: Vec::new(),
        },
        DemoBody {
            id: id(),
            name: "Members' assembly",
            description: "Every individual member votes.",
            electorate: "people",
            max_proxies: 1,
            colleges: Vec::new(),
            voters: Vec::new(),
        },
        DemoBody {
            id: id(),
            name: "Multi-stakeholder council",
            description: "Consumers, producers and workers, each college with its weight.",
            electorate: "colleges",
            max_proxies: 0,
            colleges,
            voters,
        },
    ]
}

/// Who votes in `body`: (voter, kind, college), and who casts each voter's ballot.
fn electorate(
    body: &DemoBody,
    people: &[Uuid],
    orgs: &[(Uuid, Uuid)],
) -> Vec<(Uuid, &'static str, usize, Uuid)> {
    let admin = |org: Uuid| orgs.iter().find(|o| o.0 == org).map_or(org, |o| o.1);
    match body.electorate {
        "organizations" => orgs.iter().map(|o| (o.0, "organization", 0, o.1)).collect(),
        "people" => people.iter().map(|p| (*p, "person", 0, *p)).collect(),
        _ => body
            .voters
            .iter()
            .map(|(v, k, c)| {
                (
                    *v,
                    *k,
                    *c,
                    if *k == "organization" { admin(*v) } else { *v },
                )
            })
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn proposal(
    seed: u64,
    id: &mut impl FnMut() -> Uuid,
    bodies: &[DemoBody],
    (people, orgs): (&[Uuid], &[(Uuid, Uuid)]),
    p: Plan,
    index: usize,
    start: OffsetDateTime,
    closes: Option<OffsetDateTime>,
    coordinator: Uuid,
) -> DemoProposal {
    let mut rng = stream_rng(seed, Stream::Governance, index as u64);
    let body = &bodies[p.body];
    let voters = electorate(body, people, orgs);
    let rules = Rules {
        method: p.method,
        options: p.options.len() as u16,
        threshold: p.threshold,
        quorum_percent: if p.body == 0 { 25 } else { 10 },
        seats: p.seats,
        max_approvals: None,
        max_score: if p.method == Method::Score { 5 } else { 0 },
    };
    let opens = start + Duration::days(4);
    let turnout = rng.random_range(40..85);
    let mut ballots = Vec::new();
    for (n, (voter, _, college, cast_by)) in voters.iter().enumerate() {
        if rng.random_range(0..100) >= turnout {
            continue;
        }
        let choice = choice(&mut rng, p.method, p.options.len());
        let receipt = if p.secret {
            receipt(&mut rng)
        } else {
            String::new()
        };
        ballots.push(DemoBallot {
            voter: *voter,
            cast_by: *cast_by,
            college: *college,
            choice,
            receipt,
            cast_at: opens + Duration::minutes(17 * (n as i64 % 500)),
        });
    }
    let electorate: Vec<(Uuid, &'static str, usize)> =
        voters.iter().map(|(v, k, c, _)| (*v, *k, *c)).collect();
    let tally = closes.and_then(|_| tally(body, &rules, &electorate, &ballots));
    let mut comments: Vec<DemoComment> = Vec::new();
    let talkers: Vec<Uuid> = voters.iter().map(|v| v.3).take(50).collect();
    for k in 0..rng.random_range(0..4_usize) {
        let author = *talkers
            .get(rng.random_range(0..talkers.len().max(1)))
            .unwrap_or(&coordinator);
        let parent = if k % 2 == 1 {
            comments.last().map(|c| c.0)
        } else {
            None
        };
        comments.push((
            id(),
            parent,
            author,
            COMMENTS[(index + k) % COMMENTS.len()],
            start + Duration::hours(6 + 20 * k as i64),
        ));
    }
    DemoProposal {
        id: id(),
        body: p.body,
        number: index as i64 + 1,
        title: p.title,
        text: p.text,
        author: coordinator,
        status: if closes.is_some() { "closed" } else { "voting" },
        rules,
        options: p.options.to_vec(),
        secret: p.secret,
        created_at: start,
        opens_at: Some(opens),
        closes_at: Some(closes.unwrap_or(BASE_DATE + Duration::days(60))),
        electorate,
        ballots,
        tally,
        comments,
        budget_minor: None,
        projects: Vec::new(),
    }
}

/// The members' participatory budget of last spring: seven projects submitted, six eligible,
/// approval ballots, selected by the Method of Equal Shares (the greedy rule recorded beside
/// it); its grants are planned, for the platform to pay from the fund.
fn budget(
    seed: u64,
    id: &mut impl FnMut() -> Uuid,
    bodies: &[DemoBody],
    people: &[Uuid],
    accounts: &[(Uuid, Uuid)],
    index: usize,
    coordinator: Uuid,
) -> DemoProposal {
    use crate::governance::equal_shares::{Project, equal_shares, greedy};
    let mut rng = stream_rng(seed, Stream::Governance, index as u64);
    let start = START + Duration::days(120);
    let opens = start + Duration::days(21);
    let closes = opens + Duration::days(14);
    let mut projects = Vec::new();
    let mut option = 0;
    for (k, (title, description, units, eligible)) in PROJECTS.iter().enumerate() {
        let (submitter, account) = accounts
            .get(k * 7 % accounts.len().max(1))
            .copied()
            .unwrap_or((coordinator, coordinator));
        projects.push(DemoProject {
            id: id(),
            title,
            description,
            cost_minor: units * 100,
            submitted_by: submitter,
            account,
            status: if *eligible { "eligible" } else { "ineligible" },
            review_note: if *eligible {
                ""
            } else {
                "Not a lasting common good."
            },
            option_index: eligible.then(|| {
                option += 1;
                option - 1
            }),
            selected: false,
            greedy_selected: false,
        });
    }
    let eligible: Vec<&DemoProject> = projects
        .iter()
        .filter(|p| p.option_index.is_some())
        .collect();
    let n = eligible.len() as u16;
    let rules = Rules {
        method: Method::Approval,
        options: n,
        threshold: ThresholdRule::MoreThanHalf,
        quorum_percent: 10,
        seats: 1,
        max_approvals: None,
        max_score: 0,
    };
    let budget_minor = 12_000 * 100;
    let electorate: Vec<(Uuid, &'static str, usize)> =
        people.iter().map(|p| (*p, "person", 0)).collect();
    let mut ballots = Vec::new();
    for (k, voter) in people.iter().enumerate() {
        if rng.random_range(0..100) >= 45 {
            continue;
        }
        // Two camps: the kitchens' supporters, and the outdoors'; everyone may add the library.
        let mut approved: Vec<u16> = if rng.random_bool(0.6) {
            vec![0, 1]
        } else {
            vec![3, 4, 5]
        };
        if rng.random_bool(0.3) {
            approved.push(2);
        }
        approved.sort_unstable();
        ballots.push(DemoBallot {
            voter: *voter,
            cast_by: *voter,
            college: 0,
            choice: Choice::Approval(approved),
            receipt: String::new(),
            cast_at: opens + Duration::minutes(11 * (k as i64 % 1_000)),
        });
    }
    let body = &bodies[1];
    let mut tally = tally(body, &rules, &electorate, &ballots);
    let costs: Vec<Project> = eligible
        .iter()
        .map(|p| Project {
            cost_minor: p.cost_minor,
        })
        .collect();
    let options: Vec<&'static str> = eligible.iter().map(|p| p.title).collect();
    let approvals: Vec<Vec<usize>> = ballots
        .iter()
        .map(|b| match &b.choice {
            Choice::Approval(a) => a.iter().map(|i| usize::from(*i)).collect(),
            _ => Vec::new(),
        })
        .collect();
    let mes = equal_shares(budget_minor, &costs, &approvals)
        .map(|s| s.selected)
        .unwrap_or_default();
    let greedy = greedy(budget_minor, &costs, &approvals)
        .map(|s| s.selected)
        .unwrap_or_default();
    if let Some(t) = tally.as_mut().filter(|t| t.quorum_met) {
        t.outcome = crate::governance::Outcome::Elected(mes.iter().map(|i| *i as u16).collect());
    }
    for p in &mut projects {
        if let Some(i) = p.option_index {
            p.selected = mes.contains(&(i as usize));
            p.greedy_selected = greedy.contains(&(i as usize));
        }
    }
    DemoProposal {
        id: id(),
        body: 1,
        number: index as i64 + 1,
        title: "Participatory budget: the members' fund",
        text: "12,000 credits of the district fund for projects proposed by members, chosen by equal shares.",
        author: coordinator,
        status: "closed",
        rules,
        options,
        secret: false,
        created_at: start,
        opens_at: Some(opens),
        closes_at: Some(closes),
        electorate,
        ballots,
        tally,
        comments: Vec::new(),
        budget_minor: Some(budget_minor),
        projects,
    }
}

fn tally(
    body: &DemoBody,
    rules: &Rules,
    electorate: &[(Uuid, &'static str, usize)],
    ballots: &[DemoBallot],
) -> Option<Tally> {
    let colleges: Vec<College> = if body.colleges.is_empty() {
        vec![College { weight: 1 }]
    } else {
        body.colleges
            .iter()
            .map(|c| College { weight: c.2 })
            .collect()
    };
    let mut sizes = vec![0_u64; colleges.len()];
    for (_, _, c) in electorate {
        if let Some(n) = sizes.get_mut(*c) {
            *n += 1;
        }
    }
    let casts: Vec<gov::Cast> = ballots
        .iter()
        .map(|b| gov::Cast {
            college: b.college,
            choice: b.choice.clone(),
        })
        .collect();
    gov::tally(rules, &colleges, &sizes, &casts).ok()
}

fn choice(rng: &mut impl Rng, method: Method, options: usize) -> Choice {
    match method {
        Method::Majority => Choice::Majority(match rng.random_range(0..100) {
            0..60 => Stance::Yes,
            60..85 => Stance::No,
            _ => Stance::Abstain,
        }),
        Method::Consent => Choice::Consent(match rng.random_range(0..1000) {
            0..880 => ConsentChoice::Consent,
            880..995 => ConsentChoice::StandAside,
            n => ConsentChoice::Object {
                reason: OBJECTIONS[n as usize % OBJECTIONS.len()].into(),
            },
        }),
        Method::Approval => {
            let mut a: Vec<u16> = (0..options as u16)
                .filter(|_| rng.random_bool(0.5))
                .collect();
            if a.is_empty() {
                a.push(rng.random_range(0..options as u16));
            }
            Choice::Approval(a)
        }
        Method::Score => Choice::Score((0..options).map(|_| rng.random_range(0..=5)).collect()),
        Method::Schulze | Method::InstantRunoff => {
            let mut r: Vec<u16> = (0..options as u16).collect();
            r.shuffle(rng);
            Choice::Ranked(r)
        }
    }
}

/// A receipt code in the platform's format (12 Crockford base32 characters in groups of four).
fn receipt(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut out = String::with_capacity(14);
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    out
}
