//! Seeded synthetic invoice networks for tests and benchmarks: heavy-tailed degrees and
//! log-normal amounts, like trade-credit data (a few hubs, many small firms).
//!
//! Every party draws an activity weight from a Pareto law (shape 1.5, so degrees are
//! heavy-tailed), with independent log-normal factors for how much it buys and sells. Each
//! invoice picks its debtor and creditor in proportion to those weights and an amount from a
//! log-normal law (median 1,000.00 in cents, σ = 1.5), drawn by Box–Muller from uniform
//! samples and rounded to a positive integer. The same `(parties, invoices, seed)` always gives
//! the same network on the same platform.

use super::Network;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The four benchmark sizes: (parties, invoices).
pub const STANDARD_SIZES: [(u32, u32); 4] = [
    (500, 5_000),
    (3_000, 50_000),
    (55_000, 500_000),
    (100_000, 1_000_000),
];

/// Pareto shape of the parties' activity weights.
const PARETO_SHAPE: f64 = 1.5;
/// Log of the median amount (100,000 minor units).
const AMOUNT_MU: f64 = 11.512_925_464_970_229;
/// Spread of the log of the amounts.
const AMOUNT_SIGMA: f64 = 1.5;
/// The largest amount generated (10^12 minor units), so totals stay readable.
const AMOUNT_MAX: f64 = 1e12;

/// A network of `parties` parties (at least 2, else no invoice can be drawn) and `invoices`
/// invoices drawn from `seed`.
pub fn generate(parties: u32, invoices: u32, seed: u64) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut net = Network::with_capacity(parties, invoices as usize);
    if parties < 2 {
        return net;
    }
    let mut sells = Vec::with_capacity(parties as usize);
    let mut buys = Vec::with_capacity(parties as usize);
    let (mut sell_sum, mut buy_sum) = (0.0, 0.0);
    for _ in 0..parties {
        let activity = (1.0 - rng.random::<f64>()).powf(-1.0 / PARETO_SHAPE);
        sell_sum += activity * (0.5 * normal(&mut rng)).exp();
        buy_sum += activity * (0.5 * normal(&mut rng)).exp();
        sells.push(sell_sum);
        buys.push(buy_sum);
    }
    for _ in 0..invoices {
        let debtor = pick(&buys, buy_sum * rng.random::<f64>());
        let mut creditor = pick(&sells, sell_sum * rng.random::<f64>());
        // A few redraws, then the next party: bounded, and rare since weights are spread.
        for _ in 0..8 {
            if creditor != debtor {
                break;
            }
            creditor = pick(&sells, sell_sum * rng.random::<f64>());
        }
        if creditor == debtor {
            creditor = (debtor + 1) % parties;
        }
        let amount = (AMOUNT_MU + AMOUNT_SIGMA * normal(&mut rng)).exp();
        let amount = amount.round().clamp(1.0, AMOUNT_MAX) as i64;
        // Indices are in range, parties differ and the amount is positive.
        let _ = net.push(debtor, creditor, amount);
    }
    net
}

/// The party whose cumulative weight interval holds `x`.
fn pick(cumulative: &[f64], x: f64) -> u32 {
    let i = cumulative.partition_point(|&c| c <= x);
    i.min(cumulative.len() - 1) as u32
}

/// A standard normal sample by the Box–Muller transform.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // in (0, 1], so the logarithm is finite
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
