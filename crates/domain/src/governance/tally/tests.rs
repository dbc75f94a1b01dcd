use super::*;
use proptest::prelude::*;

fn rules(method: Method, options: u16, seats: u16) -> Rules {
    Rules {
        method,
        options,
        threshold: ThresholdRule::MoreThanHalf,
        quorum_percent: 0,
        seats,
        max_approvals: None,
        max_score: 5,
    }
}

fn majority(threshold: ThresholdRule, quorum_percent: u8) -> Rules {
    Rules {
        threshold,
        quorum_percent,
        ..rules(Method::Majority, 0, 0)
    }
}

fn casts(college: usize, choices: &[Choice]) -> Vec<Cast> {
    choices
        .iter()
        .map(|choice| Cast {
            college,
            choice: choice.clone(),
        })
        .collect()
}

fn stances(yes: usize, no: usize, abstain: usize) -> Vec<Choice> {
    let mut v = vec![Choice::Majority(Stance::Yes); yes];
    v.extend(vec![Choice::Majority(Stance::No); no]);
    v.extend(vec![Choice::Majority(Stance::Abstain); abstain]);
    v
}

const ONE: [College; 1] = [College { weight: 1 }];

fn single(rules: &Rules, electorate: u64, choices: &[Choice]) -> Result<Tally, Invalid> {
    tally(rules, &ONE, &[electorate], &casts(0, choices))
}

fn outcome(rules: &Rules, choices: &[Choice]) -> Outcome {
    single(rules, 1_000, choices).map(|t| t.outcome).unwrap()
}

fn code<T>(r: Result<T, Invalid>) -> Option<&'static str> {
    r.err().map(|e| e.code)
}

#[test]
fn simple_majority_ignores_abstentions() {
    let r = majority(ThresholdRule::MoreThanHalf, 0);
    assert_eq!(outcome(&r, &stances(3, 2, 10)), Outcome::Passed);
    assert_eq!(outcome(&r, &stances(2, 2, 0)), Outcome::Rejected);
    assert_eq!(outcome(&r, &stances(0, 0, 5)), Outcome::Rejected);
    assert_eq!(outcome(&r, &[]), Outcome::Rejected);
    let t = single(&r, 20, &stances(3, 2, 10)).unwrap();
    assert_eq!(t.per_option[2].raw, 10);
    assert_eq!(t.per_option[0].weighted, 3 * (SCALE / 15));
    assert_eq!((t.cast, t.electorate), (15, 20));
    assert_eq!(t.turnout_per_college, vec![(15, 20)]);
}

#[test]
fn qualified_majority_at_the_threshold() {
    let r = majority(ThresholdRule::AtLeastPercent(67), 0);
    assert_eq!(outcome(&r, &stances(67, 33, 50)), Outcome::Passed);
    assert_eq!(outcome(&r, &stances(2, 1, 0)), Outcome::Rejected); // 66.7 %
    assert_eq!(outcome(&r, &stances(1, 0, 0)), Outcome::Passed);
    assert_eq!(outcome(&r, &stances(0, 0, 3)), Outcome::Rejected);
    let all = majority(ThresholdRule::AtLeastPercent(100), 0);
    assert_eq!(outcome(&all, &stances(0, 0, 0)), Outcome::Rejected);
    assert_eq!(
        code(single(
            &majority(ThresholdRule::AtLeastPercent(101), 0),
            1,
            &[]
        )),
        Some("governance_threshold_out_of_range")
    );
}

#[test]
fn quorum_counts_abstentions() {
    let r = majority(ThresholdRule::MoreThanHalf, 50);
    let low = single(&r, 10, &stances(4, 0, 0)).unwrap();
    assert_eq!(low.outcome, Outcome::NoQuorum);
    assert!(!low.quorum_met);
    let met = single(&r, 10, &stances(1, 0, 4)).unwrap();
    assert!(met.quorum_met);
    assert_eq!(met.outcome, Outcome::Passed);
    assert_eq!(
        code(single(&majority(ThresholdRule::MoreThanHalf, 101), 10, &[])),
        Some("governance_quorum_out_of_range")
    );
}

fn object(reason: &str) -> Choice {
    Choice::Consent(ConsentChoice::Object {
        reason: reason.to_owned(),
    })
}

#[test]
fn consent_is_blocked_by_any_objection() {
    let r = rules(Method::Consent, 0, 0);
    let consent = Choice::Consent(ConsentChoice::Consent);
    let aside = Choice::Consent(ConsentChoice::StandAside);
    assert_eq!(
        outcome(&r, &[consent.clone(), aside.clone()]),
        Outcome::Passed
    );
    assert_eq!(outcome(&r, std::slice::from_ref(&aside)), Outcome::Rejected);
    let mut many = vec![consent.clone(); 50];
    many.push(object("  too costly "));
    many.push(object("not now"));
    let t = single(&r, 100, &many).unwrap();
    assert_eq!(t.outcome, Outcome::Blocked);
    assert_eq!(t.objections, vec!["too costly", "not now"]);
    assert_eq!(t.per_option[2].raw, 2);
    assert_eq!(
        code(validate_choice(&r, &object(" \n\t"))),
        Some("governance_objection_reason_missing")
    );
    let long = "x".repeat(MAX_OBJECTION_CHARS + 1);
    assert_eq!(
        code(validate_choice(&r, &object(&long))),
        Some("governance_objection_reason_too_long")
    );
}

/// An objection blocks even from a college whose ballots weigh almost nothing.
#[test]
fn weightless_objection_still_blocks() {
    let r = rules(Method::Consent, 0, 0);
    let colleges = [College { weight: 1000 }, College { weight: 0 }];
    let mut all = casts(0, &[Choice::Consent(ConsentChoice::Consent)]);
    all.extend(casts(1, &[object("no")]));
    let t = tally(&r, &colleges, &[1, 1], &all).unwrap();
    assert_eq!(t.outcome, Outcome::Blocked);
}

fn approve(list: &[u16]) -> Choice {
    Choice::Approval(list.to_vec())
}

#[test]
fn approval_seats_and_ties() {
    let r = rules(Method::Approval, 4, 2);
    let ballots = [
        approve(&[0, 1]),
        approve(&[1, 2]),
        approve(&[1]),
        approve(&[2, 3]),
    ];
    // 0:1, 1:3, 2:2, 3:1
    assert_eq!(outcome(&r, &ballots), Outcome::Elected(vec![1, 2]));
    let tied = [approve(&[0, 1]), approve(&[2]), approve(&[0])];
    // 0:2, 1:1, 2:1 -> the second seat is a tie between 1 and 2
    assert_eq!(outcome(&r, &tied), Outcome::Tie(vec![1, 2]));
    // A tie that does not cross the last seat is decided.
    let r3 = rules(Method::Approval, 4, 3);
    assert_eq!(outcome(&r3, &tied), Outcome::Elected(vec![0, 1, 2]));
    let limited = Rules {
        max_approvals: Some(1),
        ..r.clone()
    };
    assert_eq!(
        code(validate_choice(&limited, &approve(&[0, 1]))),
        Some("governance_approval_too_many")
    );
    assert_eq!(
        code(validate_choice(&r, &approve(&[0, 0]))),
        Some("governance_approval_duplicate")
    );
    assert_eq!(
        code(validate_choice(&r, &approve(&[4]))),
        Some("governance_option_unknown")
    );
}

#[test]
fn score_sums_and_ties() {
    let r = rules(Method::Score, 3, 1);
    let a = [Choice::Score(vec![5, 3, 0]), Choice::Score(vec![0, 4, 5])];
    // 5, 7, 5
    let t = single(&r, 2, &a).unwrap();
    assert_eq!(t.outcome, Outcome::Elected(vec![1]));
    assert_eq!(t.per_option[1].raw, 7);
    let b = [Choice::Score(vec![5, 3, 0]), Choice::Score(vec![0, 2, 5])];
    assert_eq!(outcome(&r, &b), Outcome::Tie(vec![0, 1, 2]));
    assert_eq!(
        code(validate_choice(&r, &Choice::Score(vec![6, 0, 0]))),
        Some("governance_score_out_of_range")
    );
    assert_eq!(
        code(validate_choice(&r, &Choice::Score(vec![1, 0]))),
        Some("governance_score_count")
    );
}

#[test]
fn rejects_bad_tallies() {
    let r = rules(Method::Approval, 3, 1);
    let ok = casts(0, &[approve(&[0])]);
    assert_eq!(
        code(tally(&r, &ONE, &[1], &casts(0, &[Choice::Ranked(vec![0])]))),
        Some("governance_choice_wrong_method")
    );
    assert_eq!(
        code(tally(&r, &ONE, &[1], &casts(1, &[approve(&[0])]))),
        Some("governance_college_unknown")
    );
    assert_eq!(
        code(tally(&r, &ONE, &[1, 2], &ok)),
        Some("governance_electorate_mismatch")
    );
    assert_eq!(
        code(tally(&r, &[], &[], &[])),
        Some("governance_colleges_missing")
    );
    assert_eq!(
        code(tally(&r, &[College { weight: 0 }], &[1], &ok)),
        Some("governance_colleges_weight_zero")
    );
    assert_eq!(
        code(tally(&rules(Method::InstantRunoff, 3, 2), &ONE, &[1], &[])),
        Some("governance_seats_out_of_range")
    );
    assert_eq!(
        code(tally(&rules(Method::Schulze, 3, 4), &ONE, &[1], &[])),
        Some("governance_seats_out_of_range")
    );
    assert_eq!(
        code(tally(&rules(Method::Schulze, 0, 1), &ONE, &[1], &[])),
        Some("governance_options_missing")
    );
    assert_eq!(
        code(validate_choice(
            &rules(Method::Schulze, 3, 1),
            &Choice::Ranked(vec![2, 0, 2])
        )),
        Some("governance_ranking_duplicate")
    );
    assert_eq!(
        code(tally(&r, &ONE, &[u64::MAX], &ok).and(tally(
            &r,
            &[College { weight: 1 }; 2],
            &[u64::MAX, 1],
            &ok
        ))),
        Some("governance_electorate_too_large")
    );
}

/// Workers (1 of 1 votes yes) and consumers (2 of 10 yes), weight 1 each:
/// yes share = 0.5 × 1 + 0.5 × 0.2 = 0.6.
#[test]
fn colleges_weigh_normalised_results() {
    let colleges = [College { weight: 1 }, College { weight: 1 }];
    let mut all = casts(0, &stances(1, 0, 0));
    all.extend(casts(1, &stances(2, 8, 0)));
    let r = majority(ThresholdRule::AtLeastPercent(60), 0);
    let t = tally(&r, &colleges, &[1, 10], &all).unwrap();
    assert_eq!(t.per_option[0].weighted, SCALE + 2 * SCALE / 10);
    assert_eq!(t.per_option[1].weighted, 8 * SCALE / 10);
    assert_eq!(t.per_option[0].raw, 3);
    assert_eq!(t.outcome, Outcome::Passed);
    assert_eq!(t.turnout_per_college, vec![(1, 1), (10, 10)]);
    let stricter = majority(ThresholdRule::AtLeastPercent(61), 0);
    let t = tally(&stricter, &colleges, &[1, 10], &all).unwrap();
    assert_eq!(t.outcome, Outcome::Rejected);
    // By plain counting the consumers would have won: 3 yes against 8 no.
    let plain = majority(ThresholdRule::MoreThanHalf, 0);
    assert_eq!(outcome(&plain, &stances(3, 8, 0)), Outcome::Rejected);
}

#[test]
fn college_weights_scale_results() {
    // Weight 3 against 1, one ballot each: yes 3 against no 1.
    let colleges = [College { weight: 3 }, College { weight: 1 }];
    let mut all = casts(0, &stances(1, 0, 0));
    all.extend(casts(1, &stances(0, 1, 0)));
    let r = majority(ThresholdRule::AtLeastPercent(75), 0);
    let t = tally(&r, &colleges, &[5, 5], &all).unwrap();
    assert_eq!(t.outcome, Outcome::Passed);
    assert_eq!(t.per_option[0].weighted, 3 * SCALE);
}

fn ranked(s: &str) -> Choice {
    Choice::Ranked(s.bytes().map(|b| u16::from(b - b'A')).collect())
}

#[test]
fn schulze_through_the_tally_is_plain_counting() {
    let groups = [
        (5, "ACBED"),
        (5, "ADECB"),
        (8, "BEDAC"),
        (3, "CABED"),
        (7, "CAEBD"),
        (2, "CBADE"),
        (7, "DCEBA"),
        (8, "EBADC"),
    ];
    let ballots: Vec<Choice> = groups
        .iter()
        .flat_map(|&(n, s)| std::iter::repeat_n(ranked(s), n))
        .collect();
    let t = single(&rules(Method::Schulze, 5, 2), 45, &ballots).unwrap();
    assert_eq!(t.outcome, Outcome::Elected(vec![4, 0]));
    let w = SCALE / 45;
    assert_eq!(t.pairwise[0][3], 30 * w);
    assert_eq!(t.pairwise[3][0], 15 * w);
    assert_eq!(t.per_option[2].raw, 12);
    assert!(t.rounds.is_empty());
}

#[test]
fn runoff_through_the_tally() {
    let mut ballots = vec![ranked("ABC"); 8];
    ballots.extend(vec![ranked("BCA"); 7]);
    ballots.extend(vec![ranked("CBA"); 5]);
    ballots.extend(vec![ranked("DCB"); 4]);
    let t = single(&rules(Method::InstantRunoff, 4, 1), 24, &ballots).unwrap();
    assert_eq!(t.outcome, Outcome::Elected(vec![2]));
    let w = SCALE / 24;
    assert_eq!(t.rounds[2], vec![8 * w, 0, 16 * w, 0]);
    assert!(t.pairwise.is_empty());
}

#[test]
fn choices_serialise_as_snake_case_json() {
    let pairs = [
        (
            Choice::Majority(Stance::Abstain),
            r#"{"majority":"abstain"}"#,
        ),
        (
            Choice::Consent(ConsentChoice::StandAside),
            r#"{"consent":"stand_aside"}"#,
        ),
        (object("why"), r#"{"consent":{"object":{"reason":"why"}}}"#),
        (Choice::Ranked(vec![2, 0]), r#"{"ranked":[2,0]}"#),
    ];
    for (choice, json) in pairs {
        assert_eq!(serde_json::to_string(&choice).unwrap(), json);
        assert_eq!(serde_json::from_str::<Choice>(json).unwrap(), choice);
    }
    let rule = serde_json::to_string(&ThresholdRule::AtLeastPercent(67)).unwrap();
    assert_eq!(rule, r#"{"at_least_percent":67}"#);
    assert_eq!(
        serde_json::to_string(&Method::InstantRunoff).unwrap(),
        r#""instant_runoff""#
    );
}

fn approval_casts(options: u16) -> impl Strategy<Value = Vec<Cast>> {
    let ballot = (
        0usize..2,
        prop::collection::btree_set(0..options, 0..=usize::from(options)),
    );
    prop::collection::vec(ballot, 0..30).prop_map(|v| {
        v.into_iter()
            .map(|(college, set)| Cast {
                college,
                choice: Choice::Approval(set.into_iter().collect()),
            })
            .collect()
    })
}

fn ranked_casts(options: u16) -> impl Strategy<Value = Vec<Cast>> {
    let ranking = Just((0..options).collect::<Vec<u16>>())
        .prop_shuffle()
        .prop_flat_map(move |v| (Just(v), 0..=usize::from(options)))
        .prop_map(|(mut v, len)| {
            v.truncate(len);
            v
        });
    prop::collection::vec(ranking, 0..25).prop_map(|v| {
        v.into_iter()
            .map(|r| Cast {
                college: 0,
                choice: Choice::Ranked(r),
            })
            .collect()
    })
}

/// Plain (unweighted) pairwise counts.
fn plain_pairwise(options: usize, casts: &[Cast]) -> Vec<Vec<u64>> {
    let mut d = vec![vec![0u64; options]; options];
    for cast in casts {
        let Choice::Ranked(r) = &cast.choice else {
            continue;
        };
        let pos = |o: usize| {
            r.iter()
                .position(|&x| usize::from(x) == o)
                .unwrap_or(usize::MAX)
        };
        for (i, row) in d.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                if pos(i) < pos(j) {
                    *cell += 1;
                }
            }
        }
    }
    d
}

proptest! {
    #[test]
    fn invariant_under_permutation(
        (all, shuffled) in approval_casts(4).prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
    ) {
        let colleges = [College { weight: 2 }, College { weight: 5 }];
        let r = rules(Method::Approval, 4, 2);
        let a = tally(&r, &colleges, &[30, 30], &all).unwrap();
        let b = tally(&r, &colleges, &[30, 30], &shuffled).unwrap();
        prop_assert_eq!(a, b);
        let s = rules(Method::Schulze, 4, 2);
        let to_ranked = |v: &[Cast]| -> Vec<Cast> {
            v.iter().map(|c| Cast { college: c.college, choice: match &c.choice {
                Choice::Approval(l) => Choice::Ranked(l.iter().rev().copied().collect()),
                other => other.clone(),
            }}).collect()
        };
        let a = tally(&s, &colleges, &[30, 30], &to_ranked(&all)).unwrap();
        let b = tally(&s, &colleges, &[30, 30], &to_ranked(&shuffled)).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn condorcet_winner_wins_schulze(all in ranked_casts(4)) {
        let d = plain_pairwise(4, &all);
        let winner = (0..4).find(|&c| (0..4).all(|j| j == c || d[c][j] > d[j][c]));
        let t = tally(&rules(Method::Schulze, 4, 1), &ONE, &[100], &all).unwrap();
        if let Some(c) = winner {
            prop_assert_eq!(t.outcome, Outcome::Elected(vec![c as u16]));
        }
    }

    #[test]
    fn single_college_is_plain_counting(all in approval_casts(4)) {
        let all: Vec<Cast> = all.into_iter().map(|c| Cast { college: 0, ..c }).collect();
        let t = tally(&rules(Method::Approval, 4, 1), &ONE, &[100], &all).unwrap();
        let w = if all.is_empty() { 0 } else { SCALE / all.len() as u128 };
        let mut plain = [0u64; 4];
        for c in &all {
            if let Choice::Approval(l) = &c.choice {
                for &o in l { plain[usize::from(o)] += 1; }
            }
        }
        for row in &t.per_option {
            prop_assert_eq!(row.raw, plain[usize::from(row.option)]);
            prop_assert_eq!(row.weighted, u128::from(row.raw) * w);
        }
        let totals: Vec<u128> = plain.iter().map(|&p| u128::from(p)).collect();
        prop_assert_eq!(t.outcome, top_seats(&totals, 1));
    }

    #[test]
    fn more_approval_keeps_the_winner(all in approval_casts(4), pick in 0usize..30) {
        let colleges = [College { weight: 1 }, College { weight: 3 }];
        let r = rules(Method::Approval, 4, 1);
        let before = tally(&r, &colleges, &[30, 30], &all).unwrap();
        if let (Outcome::Elected(w), false) = (&before.outcome, all.is_empty()) {
            let winner = w[0];
            let mut more = all.clone();
            let i = pick % more.len();
            if let Choice::Approval(l) = &mut more[i].choice
                && !l.contains(&winner)
            {
                l.push(winner);
            }
            let after = tally(&r, &colleges, &[30, 30], &more).unwrap();
            prop_assert_eq!(after.outcome, Outcome::Elected(vec![winner]));
        }
    }
}
