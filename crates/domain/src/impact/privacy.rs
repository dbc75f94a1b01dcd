//! No published breakdown over fewer than [`MIN_GROUP_MEMBERS`] members, so a figure can never
//! be traced back to one or two households or organisations.
//!
//! Groups under the threshold are merged into one `other` bucket (primary suppression). When
//! that bucket is itself under the threshold it cannot be shown, but if other groups are
//! shown and the total is published too, it would follow by subtraction; so the smallest
//! shown group is folded into `other` as well (secondary suppression, as statistical offices
//! do for tables with margins), until `other` reaches the threshold or nothing is shown.
//!
//! The caller must apply the same rule to the total itself: a total over fewer than
//! [`MIN_GROUP_MEMBERS`] members is not published either.

/// The smallest number of members a published group may describe.
pub const MIN_GROUP_MEMBERS: u32 = 5;

/// One row of a breakdown: a key (sector, place, organisation kind…), how many members it
/// describes, and its figures (amounts, counts…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<K> {
    /// What the row is about.
    pub key: K,
    /// How many distinct members the row's figures come from.
    pub members: u32,
    /// The row's figures, in the same order in every group.
    pub values: Vec<i64>,
}

/// The merged bucket of the groups that are not shown on their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Other<K> {
    /// The keys merged here, in input order (naming them reveals no figure).
    pub keys: Vec<K>,
    /// Members of the merged groups, at least [`MIN_GROUP_MEMBERS`].
    pub members: u64,
    /// Figures summed position by position; as long as the longest merged row (a shorter row
    /// counts 0 in the missing positions).
    pub values: Vec<i128>,
}

/// A breakdown that is safe to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published<K> {
    /// Groups shown on their own, in input order, each with at least
    /// [`MIN_GROUP_MEMBERS`] members.
    pub shown: Vec<Group<K>>,
    /// The merged bucket, when there is one large enough to show.
    pub other: Option<Other<K>>,
    /// Groups too small to show that went into `other`.
    pub merged_groups: u32,
    /// Groups large enough to show that went into `other` so the small ones cannot be derived
    /// by subtraction (secondary suppression).
    pub secondary_groups: u32,
    /// Groups withheld entirely (only when even all of them together are under the
    /// threshold and nothing is shown).
    pub suppressed_groups: u32,
    /// The keys of the withheld groups, in input order.
    pub suppressed_keys: Vec<K>,
}

/// Applies the threshold to `groups`: shows the groups with at least [`MIN_GROUP_MEMBERS`]
/// members, merges the others into `other`, and folds shown groups into `other` (smallest
/// first; on a tie, the later in input order) while `other` is under the threshold and
/// something is still shown. If `other` is still under the threshold with nothing shown,
/// everything is withheld.
pub fn publishable<K: Clone>(groups: Vec<Group<K>>) -> Published<K> {
    let (mut shown, small): (Vec<_>, Vec<_>) = groups
        .into_iter()
        .enumerate()
        .partition(|(_, g)| g.members >= MIN_GROUP_MEMBERS);
    let merged_groups = small.len() as u32;
    let mut folded = small;
    let mut members: u64 = folded.iter().map(|(_, g)| u64::from(g.members)).sum();
    let mut secondary_groups = 0u32;
    // Bounded by the number of shown groups; one fold is always enough, since a shown group
    // alone has enough members.
    while !folded.is_empty() && members < u64::from(MIN_GROUP_MEMBERS) {
        let Some(smallest) = smallest_position(&shown) else {
            break;
        };
        let group = shown.remove(smallest);
        members += u64::from(group.1.members);
        folded.push(group);
        secondary_groups += 1;
    }
    folded.sort_by_key(|(index, _)| *index);
    let shown: Vec<Group<K>> = shown.into_iter().map(|(_, g)| g).collect();
    if folded.is_empty() || members >= u64::from(MIN_GROUP_MEMBERS) {
        let other = (!folded.is_empty()).then(|| merge(&folded, members));
        return Published {
            shown,
            other,
            merged_groups,
            secondary_groups,
            suppressed_groups: 0,
            suppressed_keys: Vec::new(),
        };
    }
    Published {
        shown,
        other: None,
        merged_groups: 0,
        secondary_groups: 0,
        suppressed_groups: folded.len() as u32,
        suppressed_keys: folded.into_iter().map(|(_, g)| g.key).collect(),
    }
}

/// The position in `shown` of the group with the fewest members, the later one on a tie.
fn smallest_position<K>(shown: &[(usize, Group<K>)]) -> Option<usize> {
    shown
        .iter()
        .enumerate()
        .min_by_key(|(position, (_, g))| (g.members, std::cmp::Reverse(*position)))
        .map(|(position, _)| position)
}

/// The `other` bucket of `folded` (sorted by input order).
fn merge<K: Clone>(folded: &[(usize, Group<K>)], members: u64) -> Other<K> {
    let width = folded
        .iter()
        .map(|(_, g)| g.values.len())
        .max()
        .unwrap_or(0);
    let mut values = vec![0i128; width];
    for (_, group) in folded {
        for (sum, &value) in values.iter_mut().zip(&group.values) {
            *sum += i128::from(value);
        }
    }
    Other {
        keys: folded.iter().map(|(_, g)| g.key.clone()).collect(),
        members,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn group(key: &'static str, members: u32, value: i64) -> Group<&'static str> {
        Group {
            key,
            members,
            values: vec![value],
        }
    }

    #[test]
    fn large_groups_are_shown() {
        let published = publishable(vec![group("farms", 5, 10), group("coops", 12, 20)]);
        assert_eq!(published.shown.len(), 2);
        assert_eq!(published.other, None);
        assert_eq!(
            (
                published.merged_groups,
                published.secondary_groups,
                published.suppressed_groups
            ),
            (0, 0, 0)
        );
    }

    #[test]
    fn small_groups_merge_into_other() {
        let published = publishable(vec![
            group("farms", 2, 10),
            group("coops", 12, 20),
            group("shops", 3, 30),
        ]);
        assert_eq!(published.shown, vec![group("coops", 12, 20)]);
        assert_eq!(
            published.other,
            Some(Other {
                keys: vec!["farms", "shops"],
                members: 5,
                values: vec![40],
            })
        );
        assert_eq!(published.merged_groups, 2);
        assert_eq!(published.secondary_groups, 0);
    }

    #[test]
    fn a_lone_small_group_takes_the_smallest_shown_with_it() {
        // Withholding "farms" alone would not hide it: total − coops − shops = farms.
        let published = publishable(vec![
            group("farms", 2, 10),
            group("coops", 12, 20),
            group("shops", 6, 30),
            group("halls", 6, 40),
        ]);
        assert_eq!(
            published.shown,
            vec![group("coops", 12, 20), group("shops", 6, 30)]
        );
        assert_eq!(
            published.other,
            Some(Other {
                keys: vec!["farms", "halls"],
                members: 8,
                values: vec![50],
            })
        );
        assert_eq!(
            (published.merged_groups, published.secondary_groups),
            (1, 1)
        );
    }

    #[test]
    fn everything_small_and_too_few_is_withheld() {
        let published = publishable(vec![group("farms", 2, 10), group("shops", 2, 30)]);
        assert!(published.shown.is_empty());
        assert_eq!(published.other, None);
        assert_eq!(published.suppressed_groups, 2);
        assert_eq!(published.suppressed_keys, vec!["farms", "shops"]);
        assert_eq!(published.merged_groups, 0);
    }

    #[test]
    fn everything_small_but_enough_together() {
        let published = publishable(vec![group("farms", 2, 10), group("shops", 4, 30)]);
        assert!(published.shown.is_empty());
        assert_eq!(published.other.map(|o| o.values), Some(vec![40]));
        assert_eq!(published.suppressed_groups, 0);
    }

    #[test]
    fn rows_of_different_lengths() {
        let published = publishable(vec![
            Group {
                key: 0,
                members: 3,
                values: vec![1, 2, 3],
            },
            Group {
                key: 1,
                members: 3,
                values: vec![10],
            },
        ]);
        assert_eq!(published.other.map(|o| o.values), Some(vec![11, 2, 3]));
    }

    #[test]
    fn nothing_in_nothing_out() {
        let published = publishable::<u8>(vec![]);
        assert!(published.shown.is_empty() && published.other.is_none());
        assert_eq!(published.suppressed_groups, 0);
    }

    fn arb_groups() -> impl Strategy<Value = Vec<Group<usize>>> {
        proptest::collection::vec(
            (0u32..12, proptest::collection::vec(-1_000i64..1_000, 0..3)),
            0..8,
        )
        .prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(key, (members, values))| Group {
                    key,
                    members,
                    values,
                })
                .collect()
        })
    }

    fn add(total: &mut Vec<i128>, values: impl IntoIterator<Item = i128>) {
        for (i, v) in values.into_iter().enumerate() {
            if total.len() <= i {
                total.resize(i + 1, 0);
            }
            total[i] += v;
        }
    }

    proptest! {
        #[test]
        fn nothing_small_is_published_and_nothing_is_lost(groups in arb_groups()) {
            let published = publishable(groups.clone());
            let min = u64::from(MIN_GROUP_MEMBERS);
            prop_assert!(published.shown.iter().all(|g| u64::from(g.members) >= min));
            if let Some(other) = &published.other {
                prop_assert!(other.members >= min);
            }
            // A withheld group never sits beside shown ones, where a total would reveal it.
            if published.suppressed_groups > 0 {
                prop_assert!(published.shown.is_empty() && published.other.is_none());
            }
            let mut input = Vec::new();
            for g in &groups {
                add(&mut input, g.values.iter().map(|&v| i128::from(v)));
            }
            let mut output = Vec::new();
            let mut keys: Vec<usize> = Vec::new();
            for g in &published.shown {
                add(&mut output, g.values.iter().map(|&v| i128::from(v)));
                keys.push(g.key);
            }
            if let Some(other) = &published.other {
                add(&mut output, other.values.iter().copied());
                keys.extend(&other.keys);
            }
            for &key in &published.suppressed_keys {
                add(&mut output, groups[key].values.iter().map(|&v| i128::from(v)));
                keys.push(key);
            }
            keys.sort_unstable();
            prop_assert_eq!(keys, (0..groups.len()).collect::<Vec<_>>());
            prop_assert_eq!(input, output);
        }
    }
}
