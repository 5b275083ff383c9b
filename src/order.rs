//! The order regions are decoded in, planned in bounded slices of work so that a host
//! with one thread (the browser, Node) can yield between slices however many regions
//! there are.
//!
//! Regions are decoded in input order when every data block they touch fits the decoded
//! block cache, or when they already are in genome order; otherwise in genome order (each
//! block fetched and inflated once) and put back in input order afterwards. The one rule
//! for every host: the stepper plans in slices, the parallel driver in one go
//! ([`OrderPlan::run`]).

use crate::bigwig::Leaf;
use crate::export::Export;
use crate::source::Source;
use std::collections::HashSet;

/// Which region is decoded `k`-th.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeOrder {
    /// Region `k` is decoded `k`-th (of this many).
    Input(usize),
    /// Genome order: region indices sorted by contig name, start and end.
    Genome(Vec<u32>),
}

impl DecodeOrder {
    pub fn region(&self, k: usize) -> usize {
        match self {
            DecodeOrder::Input(_) => k,
            DecodeOrder::Genome(order) => order[k] as usize,
        }
    }
    pub fn len(&self) -> usize {
        match self {
            DecodeOrder::Input(n) => *n,
            DecodeOrder::Genome(order) => order.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn is_genome(&self) -> bool {
        matches!(self, DecodeOrder::Genome(_))
    }
}

/// A planned order, and what a host with threads decodes up front.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub order: DecodeOrder,
    /// In input order because every block fits the budget: those blocks, `(sample, leaf)`,
    /// each once. `None` when the regions were in genome order already, or are not kept in
    /// input order.
    pub touched: Option<Vec<(usize, Leaf)>>,
}

impl Planned {
    /// Regions are decoded in genome order: reordered, or in input order because they
    /// were given sorted (`touched` is `None` only then).
    pub fn sweeps(&self) -> bool {
        self.order.is_genome() || self.touched.is_none()
    }
}

/// Initial sorted runs of the merge sort.
const RUN: usize = 4096;

enum Phase {
    /// Counting the decoded size of the blocks regions `..next` touch.
    Touched {
        next: usize,
        seen: HashSet<(usize, u64)>,
        touched: Vec<(usize, Leaf)>,
        bound: u64,
    },
    /// Checking that regions `..next` are in genome order.
    Sortedness { next: usize },
    /// Sorting runs of [`RUN`] regions, `..next` done.
    Runs { order: Vec<u32>, next: usize },
    /// Bottom-up merging of sorted runs of `width`, from `from` into `into`.
    Merge(Merge),
}

struct Merge {
    from: Vec<u32>,
    into: Vec<u32>,
    width: usize,
    /// The pair of runs being merged starts here; `i`, `j` read its halves, `k` writes.
    lo: usize,
    i: usize,
    j: usize,
    k: usize,
}

/// Plans a [`DecodeOrder`], a bounded slice of work per [`OrderPlan::step`].
pub struct OrderPlan {
    cache_budget: u64,
    ranks: Vec<u32>,
    phase: Phase,
}

impl OrderPlan {
    /// `cache_budget`: the decoded-block cache of the driver, in bytes.
    pub fn new<S: Source>(export: &Export<S>, cache_budget: u64) -> Self {
        OrderPlan {
            cache_budget,
            ranks: export.contig_ranks(),
            phase: Phase::Touched {
                next: 0,
                seen: HashSet::new(),
                touched: Vec::new(),
                bound: 0,
            },
        }
    }

    /// Genome order whatever the block cache holds (regions given sorted stay in input
    /// order, which is the same): for a host that decodes the order in slices on several
    /// threads ([`genome_slices`]), each handing its regions out to be put back in order.
    pub fn force_genome(&mut self, n_regions: usize) {
        // No region: the first phase says so at once (the second would read region 0).
        if n_regions > 0 {
            self.phase = Phase::Sortedness { next: 1 };
        }
    }

    /// Plan on for about `work` regions' worth; the order once it is known.
    pub fn step<S: Source>(&mut self, export: &Export<S>, work: usize) -> Option<Planned> {
        let order = |order| Planned {
            order,
            touched: None,
        };
        let n = export.n_regions();
        let key = |r: u32| export.genome_key(&self.ranks, r as usize);
        let mut budget = work.max(1);
        loop {
            match &mut self.phase {
                Phase::Touched {
                    next,
                    seen,
                    touched,
                    bound,
                } => {
                    let end = (*next + budget).min(n);
                    for r in *next..end {
                        for s in 0..export.n_samples() {
                            for l in export.leaves(r, s) {
                                if seen.insert((s, l.offset)) {
                                    touched.push((s, *l));
                                    *bound += export.decoded_bound(s, l);
                                }
                            }
                        }
                        if *bound > self.cache_budget {
                            self.phase = Phase::Sortedness { next: 1 };
                            break;
                        }
                    }
                    if let Phase::Touched { next, touched, .. } = &mut self.phase {
                        *next = end;
                        if end == n {
                            return Some(Planned {
                                order: DecodeOrder::Input(n),
                                touched: Some(std::mem::take(touched)),
                            });
                        }
                        return None;
                    }
                    return None;
                }
                Phase::Sortedness { next } => {
                    let end = (*next + budget).min(n);
                    let mut prev = key(next.saturating_sub(1) as u32);
                    for r in *next..end {
                        let k = key(r as u32);
                        if k < prev {
                            self.phase = Phase::Runs {
                                order: (0..n as u32).collect(),
                                next: 0,
                            };
                            return None;
                        }
                        prev = k;
                    }
                    *next = end;
                    return (end >= n).then(|| order(DecodeOrder::Input(n)));
                }
                Phase::Runs { order, next } => {
                    while budget > 0 && *next < n {
                        let end = (*next + RUN).min(n);
                        order[*next..end].sort_by_key(|&r| key(r));
                        budget = budget.saturating_sub(end - *next);
                        *next = end;
                    }
                    if *next < n {
                        return None;
                    }
                    let from = std::mem::take(order);
                    self.phase = Phase::Merge(Merge {
                        into: vec![0; n],
                        from,
                        width: RUN,
                        lo: 0,
                        i: 0,
                        j: RUN.min(n),
                        k: 0,
                    });
                    if budget == 0 {
                        return None;
                    }
                }
                Phase::Merge(m) => {
                    while m.width < n {
                        let mid = (m.lo + m.width).min(n);
                        let hi = (m.lo + 2 * m.width).min(n);
                        // Stable: on equal keys the left run goes first, as one sort would.
                        while m.k < hi && budget > 0 {
                            let take_left =
                                m.j >= hi || (m.i < mid && key(m.from[m.i]) <= key(m.from[m.j]));
                            if take_left {
                                m.into[m.k] = m.from[m.i];
                                m.i += 1;
                            } else {
                                m.into[m.k] = m.from[m.j];
                                m.j += 1;
                            }
                            m.k += 1;
                            budget -= 1;
                        }
                        if m.k < hi {
                            return None;
                        }
                        m.lo = hi;
                        if m.lo >= n {
                            std::mem::swap(&mut m.from, &mut m.into);
                            m.width *= 2;
                            m.lo = 0;
                        }
                        m.i = m.lo;
                        m.j = (m.lo + m.width).min(n);
                        m.k = m.lo;
                    }
                    return Some(order(DecodeOrder::Genome(std::mem::take(&mut m.from))));
                }
            }
        }
    }

    /// Plan in one go (hosts with threads, and tests).
    pub fn run<S: Source>(export: &Export<S>, cache_budget: u64) -> Planned {
        let mut p = OrderPlan::new(export, cache_budget);
        loop {
            if let Some(o) = p.step(export, usize::MAX / 2) {
                return o;
            }
        }
    }
}

/// The decode order `order` (genome order, or input order for regions given sorted) cut
/// into at most `count` contiguous slices, each as its regions' indices in that order: a
/// slice's decoding inflates each block once (but for one straddling two slices), so each
/// thread of a host decodes one. The first slice gets `first_share` of the work of each
/// other (1: equal shares; less for a thread with other work too). Work is counted as the
/// blocks a region reads that the region before it did not (the decoder keeps those), by
/// their decoded bound, plus one for the region itself.
pub fn genome_slices<S: Source>(
    export: &Export<S>,
    order: &DecodeOrder,
    count: usize,
    first_share: f64,
) -> Vec<Vec<u32>> {
    let n = order.len();
    if n == 0 {
        return Vec::new();
    }
    let count = count.clamp(1, n);
    let first_share = if first_share.is_finite() {
        first_share.clamp(0.0, 1.0)
    } else {
        1.0
    };
    // Per sample, the blocks the region before read (in genome order, a handful).
    let mut before: Vec<Vec<u64>> = vec![Vec::new(); export.n_samples()];
    let mut now = Vec::new();
    let mut work = Vec::with_capacity(n);
    for k in 0..n {
        let r = order.region(k);
        let mut w = 1;
        for (s, seen) in before.iter_mut().enumerate() {
            now.clear();
            for l in export.leaves(r, s) {
                if !seen.contains(&l.offset) {
                    w += export.decoded_bound(s, l);
                }
                now.push(l.offset);
            }
            std::mem::swap(seen, &mut now);
        }
        work.push(w);
    }
    let total: u64 = work.iter().sum();
    let mut slices = Vec::with_capacity(count);
    let (mut from, mut done) = (0, 0u64);
    for j in 1..=count {
        // Slice j ends where the work done reaches its part of the total, leaving at least
        // a region to each slice after it.
        let shares = first_share + (j - 1) as f64;
        let goal = (total as f64 * shares / (first_share + (count - 1) as f64)) as u64;
        let mut to = from + 1;
        done += work[from];
        while to < n - (count - j) && done < goal {
            done += work[to];
            to += 1;
        }
        if j == count {
            to = n;
        }
        slices.push((from..to).map(|k| order.region(k) as u32).collect());
        from = to;
    }
    slices
}

#[cfg(test)]
// Tests read their fixtures from disk.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use crate::export::Options;
    use crate::input::open_input;
    use crate::region::Regions;
    use crate::source::MemSource;

    fn export(bed: &str) -> Export<MemSource> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/bigwig/volvox.bw");
        let src = MemSource::new(std::fs::read(path).unwrap());
        let input = open_input(0, "volvox.bw", src).unwrap();
        let regions = Regions::from_bed("r.bed", bed.as_bytes()).unwrap();
        Export::new(vec![input], regions, Options::default()).unwrap()
    }

    /// Region indices in genome order (contig name, then query start and end), by one sort.
    fn genome_order<S: Source>(e: &Export<S>) -> Vec<u32> {
        let ranks = e.contig_ranks();
        let mut order: Vec<u32> = (0..e.n_regions() as u32).collect();
        order.sort_by_key(|&r| e.genome_key(&ranks, r as usize));
        order
    }

    fn shuffled(n: usize, seed: u64) -> String {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..n)
            .map(|_| {
                let s = rng.u32(0..40_000);
                // Many equal keys: stability decides their order.
                format!("ctgA\t{s}\t{}\n", s + rng.u32(0..3) * 100)
            })
            .collect()
    }

    #[test]
    fn genome_slices_cut_the_order_by_work_with_a_lighter_first() {
        let e = export(&shuffled(3000, 7));
        let order = DecodeOrder::Genome(genome_order(&e));
        for (count, first_share) in [(1, 1.0), (2, 1.0), (3, 0.5), (4, f64::NAN), (5000, 1.0)] {
            let slices = genome_slices(&e, &order, count, first_share);
            assert_eq!(slices.len(), count.min(3000));
            assert!(slices.iter().all(|s| !s.is_empty()));
            // Contiguous in the order, in turn.
            let all: Vec<u32> = slices.concat();
            assert_eq!(all, genome_order(&e), "{count}");
        }
        // Regions spread evenly over one contig: work goes with the region count. Three
        // slices, the first with half a share: 1/5, 2/5, 2/5 of the work.
        let sizes: Vec<usize> = genome_slices(&e, &order, 3, 0.5)
            .iter()
            .map(Vec::len)
            .collect();
        assert!((450..=750).contains(&sizes[0]), "{sizes:?}");
        assert!(
            sizes[1..].iter().all(|&n| (1000..=1400).contains(&n)),
            "{sizes:?}"
        );
        assert!(genome_slices(&e, &DecodeOrder::Input(0), 2, 1.0).is_empty());
    }

    #[test]
    fn small_exports_and_sorted_regions_keep_input_order() {
        let e = export(&shuffled(500, 1));
        let fits = OrderPlan::run(&e, u64::MAX);
        assert_eq!(fits.order, DecodeOrder::Input(500));
        let touched = fits.touched.unwrap();
        assert!(!touched.is_empty() && touched.len() <= e.inputs[0].bigwig.leaves.len());
        let sorted = export("ctgA\t0\t10\nctgA\t5\t10\nctgA\t5\t20\nctgA\t9\t9\n");
        assert_eq!(
            OrderPlan::run(&sorted, 0),
            Planned {
                order: DecodeOrder::Input(4),
                touched: None
            }
        );
    }

    #[test]
    fn shuffled_regions_past_the_cache_get_the_stable_genome_order_in_any_slices() {
        for (n, seed) in [(1, 1), (2, 2), (4095, 3), (4097, 4), (20_000, 5)] {
            let e = export(&shuffled(n, seed));
            let want = genome_order(&e);
            let identity = want.iter().enumerate().all(|(k, &r)| k == r as usize);
            let expected = if identity {
                DecodeOrder::Input(n)
            } else {
                DecodeOrder::Genome(want.clone())
            };
            assert_eq!(OrderPlan::run(&e, 0).order, expected, "n {n}");
            // Sliced finely, with a step count that shows the slices are bounded.
            for work in [1, 7, 1000] {
                let mut p = OrderPlan::new(&e, 0);
                let mut steps = 0;
                let got = loop {
                    steps += 1;
                    if let Some(o) = p.step(&e, work) {
                        break o.order;
                    }
                };
                let order: Vec<u32> = (0..got.len()).map(|k| got.region(k) as u32).collect();
                assert_eq!(order, want, "n {n} work {work}");
                if work == 1000 && n == 20_000 {
                    // Touched (exits early), sortedness (exits early), runs, log2(20000/4096)
                    // merge passes: each slice did at most `work` regions' worth.
                    assert!(steps > 20_000 * 3 / 1000, "{steps} steps");
                }
            }
        }
    }
}
