//! The vectorised kernels of the hot loops over rows: the EM pass's sufficient statistics and
//! the mixture log-density, [`LANES`] rows at a time in a compile-time dimension (up to
//! [`MAX_LANE_DIM`]) with the lane loop innermost, so that the compiler vectorises them,
//! each compiled for every instruction set it is dispatched on ([`crate::dispatch!`]; the
//! vector maths is in [`crate::vmath`]). Every variant performs the same IEEE operations in
//! the same order, so results are identical on any machine and thread count.

use std::sync::OnceLock;

use crate::gmm::{self, GaussianMixture};
use crate::vmath::{self, LANES};

/// The most columns the lane kernels of this module are compiled for (each dimension from 1
/// to this one is a compile-time constant of its own kernels). Above it, the EM pass and the
/// log-density go row by row ([`chunk_stats_dyn`],
/// [`crate::gmm::GaussianMixture::weighted_log_densities`]).
/// Up to 16, so that two variables of up to 8 columns each (or a conditional MI of up to
/// 16 columns in all) run vectorised: at 5 + 5 columns the scalar pass was 59% of an
/// estimate's time.
pub(crate) const MAX_LANE_DIM: usize = 16;

/// `ln p(x_i)` into `out` for the rows of `x`, for a mixture of dimension 1 to
/// [`MAX_LANE_DIM`].
pub(crate) fn log_density(g: &GaussianMixture, x: &[f64], out: &mut [f64]) {
    DENSITY[g.dim() - 1](g, x, out)
}

/// `ln w_c + ln N(x_l | c)` for every component `c` and each of the [`LANES`] points of a
/// block (`xs[j][l]`: coordinate `j` of point `l`), into `out[c][l]`, from the means, inverse
/// Cholesky factors and log-normalisers of the components (plain slices, so that the
/// compiler keeps them in registers across the inlined loops): the first half of the
/// vectorised EM pass and log-density.
#[inline(always)]
pub(crate) fn log_densities_lanes<const D: usize>(
    (means, inv, log_norm): (&[f64], &[f64], &[f64]),
    xs: &[[f64; LANES]; D],
    out: &mut [[f64; LANES]],
) {
    for (c, o) in out.iter_mut().enumerate() {
        let mu = &means[c * D..(c + 1) * D];
        let p = &inv[c * D * D..(c + 1) * D * D];
        let mut maha = [0.0; LANES];
        for a in 0..D {
            let mut z = [0.0; LANES];
            for b in 0..=a {
                for l in 0..LANES {
                    z[l] += p[a * D + b] * (xs[b][l] - mu[b]);
                }
            }
            for l in 0..LANES {
                maha[l] += z[l] * z[l];
            }
        }
        for l in 0..LANES {
            o[l] = log_norm[c] - 0.5 * maha[l];
        }
    }
}

/// `ln p(x_i)` for the rows of `x` in a compile-time dimension, [`LANES`] rows at a time with
/// the lane loop innermost (vectorised `exp`/`ln`, as in the EM pass). A row far from every
/// component (all log-densities `-inf`) gets `-inf`.
#[inline(always)]
pub(crate) fn log_density_lanes<const D: usize>(g: &GaussianMixture, x: &[f64], out: &mut [f64]) {
    let k = g.n_components();
    let zero = [0.0; LANES];
    let mut lp = vec![zero; k];
    let params = (g.means(), g.inverse_cholesky_factors(), g.log_norms());
    for (xb, ob) in x.chunks(LANES * D).zip(out.chunks_mut(LANES)) {
        let m = ob.len();
        let mut xs = [zero; D];
        for l in 0..LANES {
            let row = l.min(m - 1); // unused lanes repeat the last row
            for j in 0..D {
                xs[j][l] = xb[row * D + j];
            }
        }
        log_densities_lanes(params, &xs, &mut lp);
        let (lse, _) = vmath::log_sum_exp_lanes(&mut lp);
        ob.copy_from_slice(&lse[..m]);
    }
}

/// Sufficient statistics of the EM pass over a chunk of rows: the weighted log-likelihood,
/// and per component the responsibility sums, first moments and (upper-triangle) second
/// moments about the component's current mean.
pub(crate) struct Stats {
    pub(crate) ll: f64,
    pub(crate) nk: Vec<f64>,
    pub(crate) s1: Vec<f64>,
    pub(crate) s2: Vec<f64>,
}

impl Stats {
    pub(crate) fn zeros(k: usize, d: usize) -> Self {
        Stats {
            ll: 0.0,
            nk: vec![0.0; k],
            s1: vec![0.0; k * d],
            s2: vec![0.0; k * d * d],
        }
    }

    pub(crate) fn add(&mut self, o: &Stats) {
        self.ll += o.ll;
        for (a, b) in self.nk.iter_mut().zip(&o.nk) {
            *a += b;
        }
        for (a, b) in self.s1.iter_mut().zip(&o.s1) {
            *a += b;
        }
        for (a, b) in self.s2.iter_mut().zip(&o.s2) {
            *a += b;
        }
    }
}

/// The EM statistics of the rows `x` of one chunk with weights `w` (`None`: all 1).
pub(crate) fn chunk_stats(g: &GaussianMixture, x: &[f64], w: Option<&[f64]>) -> Stats {
    // The dimension as a compile-time constant (d <= MAX_LANE_DIM) lets the compiler unroll
    // the small loops and vectorise over rows; above that a scalar path.
    match g.dim() {
        d @ 1..=MAX_LANE_DIM => GATHERED[d - 1](g, x, w),
        _ => chunk_stats_dyn(g, x, w),
    }
}

/// The statistics of a chunk in a compile-time dimension, [`LANES`] rows at a time (rows of
/// zero weight skipped): per block, the component loop is outside and the lane loop inside,
/// so densities, exponentials and sums vectorise. Each lane accumulates its own sums, added
/// in lane order at the end: a fixed order, whatever the machine or thread count.
#[inline(always)]
pub(crate) fn chunk_stats_lanes<const D: usize>(
    g: &GaussianMixture,
    x: &[f64],
    w: Option<&[f64]>,
) -> Stats {
    let mut sums = LaneSums::new(g.n_components(), D);
    let mut i = 0;
    loop {
        let mut xs = [[0.0; LANES]; D];
        let mut ws = [0.0; LANES];
        if gather_block(x, D, w, &mut i, xs.as_flattened_mut(), &mut ws) == 0 {
            break;
        }
        sums.add_block::<D, false>(g, &xs, &ws);
    }
    sums.finish()
}

/// Gathers the next [`LANES`] rows of non-zero weight of `x` (row-major, `d` columns), from
/// row `*i` on, into `xs` (`xs[j * LANES + l]`: coordinate `j` of lane `l`) and
/// their weights into `ws`; the unused lanes repeat lane 0 with weight 0 (finite terms times
/// 0). Returns the number of rows gathered (0: none left).
#[inline(always)]
pub(crate) fn gather_block(
    x: &[f64],
    d: usize,
    w: Option<&[f64]>,
    i: &mut usize,
    xs: &mut [f64],
    ws: &mut [f64; LANES],
) -> usize {
    let n = x.len() / d;
    let mut m = 0;
    while m < LANES && *i < n {
        // Written unconditionally, kept only if the weight is non-zero: bootstrap weights
        // are zero for a third of the rows at random, a branch the CPU would mispredict.
        let wi = w.map_or(1.0, |w| w[*i]);
        for j in 0..d {
            xs[j * LANES + m] = x[*i * d + j];
        }
        ws[m] = wi;
        m += usize::from(wi != 0.0);
        *i += 1;
    }
    if m > 0 {
        for l in m..LANES {
            ws[l] = 0.0;
            for j in 0..d {
                xs[j * LANES + l] = xs[j * LANES];
            }
        }
    }
    m
}

/// Rows of per-lane values, one row per component (or per component and coordinate).
type LaneRows<'a> = &'a mut [[f64; LANES]];

/// The per-lane sums of the EM pass over a chunk's blocks (see [`chunk_stats_lanes`]), in
/// one buffer: per component the exponentials of a block (`k` rows), the responsibility sums
/// (`k`), first moments (`k d`) and second moments (`k d d`).
struct LaneSums {
    k: usize,
    d: usize,
    buf: Vec<[f64; LANES]>,
    ll: [f64; LANES],
    /// Components left out of the current block (see [`Packed::spatial_chunk_stats`]).
    far: Vec<bool>,
}

impl LaneSums {
    fn new(k: usize, d: usize) -> Self {
        LaneSums {
            k,
            d,
            buf: vec![[0.0; LANES]; k * (2 + d + d * d)],
            ll: [0.0; LANES],
            far: vec![false; k],
        }
    }

    /// The buffer as `(e, nk, s1, s2)`.
    #[inline(always)]
    fn parts(
        buf: &mut [[f64; LANES]],
        k: usize,
        d: usize,
    ) -> (LaneRows<'_>, LaneRows<'_>, LaneRows<'_>, LaneRows<'_>) {
        let (e, rest) = buf.split_at_mut(k);
        let (nk, rest) = rest.split_at_mut(k);
        let (s1, s2) = rest.split_at_mut(k * d);
        (e, nk, s1, s2)
    }

    /// Adds one block of [`LANES`] rows `xs` with weights `ws`; with `SKIP`, the components
    /// far from every row of the block ([`vmath::log_sum_exp_lanes_skipping`] with
    /// [`SKIP_LOG_GAP`]) are left out of the exponentials and the sums.
    #[inline(always)]
    fn add_block<const D: usize, const SKIP: bool>(
        &mut self,
        g: &GaussianMixture,
        xs: &[[f64; LANES]; D],
        ws: &[f64; LANES],
    ) {
        let zero = [0.0; LANES];
        let means = g.means();
        let params = (means, g.inverse_cholesky_factors(), g.log_norms());
        let LaneSums { k, d, buf, ll, far } = self;
        let (e, nk, s1, s2) = Self::parts(buf, *k, *d);
        log_densities_lanes(params, xs, e);
        // Log-sum-exp over components; e becomes exp(lp - max).
        let (lse, sum) = if SKIP {
            vmath::log_sum_exp_lanes_skipping(e, SKIP_LOG_GAP, far)
        } else {
            vmath::log_sum_exp_lanes(e)
        };
        let mut scale = zero;
        for l in 0..LANES {
            ll[l] += ws[l] * lse[l];
            scale[l] = ws[l] / sum[l];
        }
        for c in 0..e.len() {
            if SKIP && far[c] {
                continue;
            }
            let mu = &means[c * D..(c + 1) * D];
            let mut r = zero;
            for l in 0..LANES {
                r[l] = e[c][l] * scale[l];
                nk[c][l] += r[l];
            }
            // Deviations from the mean, recomputed (cheaper than storing them per component).
            let mut u = [zero; D];
            for j in 0..D {
                for l in 0..LANES {
                    u[j][l] = xs[j][l] - mu[j];
                }
            }
            for a in 0..D {
                let ua = u[a];
                let mut ra = zero;
                for l in 0..LANES {
                    ra[l] = r[l] * ua[l];
                    s1[c * D + a][l] += ra[l];
                }
                for b in a..D {
                    let ub = u[b];
                    let acc = &mut s2[c * D * D + a * D + b];
                    for l in 0..LANES {
                        acc[l] += ra[l] * ub[l];
                    }
                }
            }
        }
    }

    fn finish(mut self) -> Stats {
        let lanes_sum = |v: &[f64; LANES]| v.iter().sum::<f64>();
        let (_, nk, s1, s2) = Self::parts(&mut self.buf, self.k, self.d);
        Stats {
            ll: lanes_sum(&self.ll),
            nk: nk.iter().map(lanes_sum).collect(),
            s1: s1.iter().map(lanes_sum).collect(),
            s2: s2.iter().map(lanes_sum).collect(),
        }
    }
}

/// Rows laid out for the lane kernels once, for the many EM passes of one fit: per chunk of
/// `chunk_rows` rows, the blocks that [`chunk_stats_lanes`] would gather on every pass (the
/// rows of non-zero weight in order, [`LANES`] at a time, coordinates lane-contiguous, then
/// the weights; the last block padded as there). A pass over them reads whole vectors
/// instead of gathering row by row and skipping zero weights (which took a fifth of the
/// AVX2 kernel's time at K <= 2), and gives the same sums in the same order: the same bits.
///
/// For mixtures of [`SKIP_MIN_COMPONENTS`] or more, the passes use a second layout of the
/// same rows, made on first use ([`Packed::spatial`]): sorted along a Z-order curve, so that
/// the [`LANES`] rows of a block lie close together and most components are far from all of
/// them, and those are left out of the block's exponentials and sums (see
/// [`SKIP_LOG_GAP`]). On data that need many components (sharp edges, skewed or bounded
/// marginals at large n, where K reaches 20-50) a third to two thirds of a block's
/// components are that far (fitted mixtures of K = 16-40 to uniform noise, normal-CDF and
/// gamma-exponential data at n = 5,000-20,000).
pub(crate) struct Packed {
    d: usize,
    chunk_rows: usize,
    /// Blocks of `(d + 1) * LANES` values.
    values: Vec<f64>,
    /// Chunk `c` holds blocks `starts[c]..starts[c + 1]`.
    starts: Vec<usize>,
    /// The rows in Z-order, laid out the same way (chunks of `chunk_rows` rows).
    spatial: OnceLock<Box<Packed>>,
}

/// Fewest components for which an EM pass uses the rows in Z-order and leaves out, for each
/// block of rows, the components far from all of them ([`Packed`]). Below it the pass is
/// the plain one, bit for bit. On fitted mixtures of the benchmark's data (K = 2-10) next
/// to no component is that far from a block; from a dozen components on, a block of rows
/// in Z-order is far from most of them on the data that need so many.
pub const SKIP_MIN_COMPONENTS: usize = 12;

/// A component is left out of a block when its weighted log-density is more than this below
/// the largest in every row of the block: `53 ln 2`, so each term left out of a row's sum of
/// exponentials (at least 1) is below half its last bit, and its responsibilities, below
/// `2^-53`, are below the rounding of the sums they would be added to.
pub const SKIP_LOG_GAP: f64 = 53.0 * std::f64::consts::LN_2;

impl Packed {
    /// Packs the rows of `x` (row-major, `d` columns, `1 <= d <= MAX_LANE_DIM`) with weights
    /// `w` in chunks of `chunk_rows` rows, in the memory of `values` (cleared first; see
    /// [`Packed::into_values`]: the bootstrap lays out one resample after another, and at
    /// 10^7 rows a fresh layout is 240 MB of new pages for the system to provide).
    pub(crate) fn new_in(
        x: &[f64],
        d: usize,
        w: Option<&[f64]>,
        chunk_rows: usize,
        mut values: Vec<f64>,
    ) -> Self {
        let n = x.len() / d;
        let width = (d + 1) * LANES;
        values.clear();
        values.reserve(n.div_ceil(LANES) * width);
        let mut starts = vec![0];
        let mut block = vec![0.0; d * LANES];
        let mut ws = [0.0; LANES];
        for lo in (0..n.max(1)).step_by(chunk_rows) {
            let hi = (lo + chunk_rows).min(n);
            let (xc, wc) = (&x[lo * d..hi * d], w.map(|w| &w[lo..hi]));
            let mut i = 0;
            while gather_block(xc, d, wc, &mut i, &mut block, &mut ws) > 0 {
                values.extend_from_slice(&block);
                values.extend_from_slice(&ws);
            }
            starts.push(values.len() / width);
        }
        Packed {
            d,
            chunk_rows,
            values,
            starts,
            spatial: OnceLock::new(),
        }
    }

    /// The layout of the rows in Z-order (made on first use): the rows of non-zero weight,
    /// sorted by the interleaved bits of their coordinates quantised on the bounding box
    /// (`64 / d` bits each, at most 32; ties in row order), then laid out as
    /// [`Packed::new_in`] does.
    /// Deterministic, so the sums do not depend on the number of threads.
    pub(crate) fn spatial(&self) -> &Packed {
        self.spatial.get_or_init(|| {
            let d = self.d;
            let width = (d + 1) * LANES;
            let mut rows: Vec<f64> = Vec::new();
            let mut weights: Vec<f64> = Vec::new();
            for b in self.values.chunks_exact(width) {
                for l in 0..LANES {
                    let w = b[d * LANES + l];
                    if w != 0.0 {
                        rows.extend((0..d).map(|j| b[j * LANES + l]));
                        weights.push(w);
                    }
                }
            }
            let order = z_order(&rows, d);
            let sorted: Vec<f64> = order
                .iter()
                .flat_map(|&i| rows[i * d..(i + 1) * d].iter().copied())
                .collect();
            let w: Vec<f64> = order.iter().map(|&i| weights[i]).collect();
            // (at 10^7 rows each copy is 80-160 MB: the unsorted ones go before the layout)
            drop((rows, weights, order));
            Box::new(Packed::new_in(
                &sorted,
                d,
                Some(&w),
                self.chunk_rows,
                Vec::new(),
            ))
        })
    }

    /// The memory of the layout, for the next [`Packed::new_in`].
    pub(crate) fn into_values(self) -> Vec<f64> {
        self.values
    }

    /// Number of chunks.
    pub(crate) fn n_chunks(&self) -> usize {
        self.starts.len() - 1
    }

    /// The EM statistics of chunk `c` under `g` (dimension `d`).
    pub(crate) fn chunk_stats(&self, g: &GaussianMixture, c: usize) -> Stats {
        self.stats_by(&PLAIN, g, c)
    }

    /// Number of chunks of the Z-order layout ([`Packed::spatial`]; made here if not yet).
    pub(crate) fn n_spatial_chunks(&self) -> usize {
        self.spatial().n_chunks()
    }

    /// The EM statistics of chunk `c` of the Z-order layout under `g`, leaving out of each
    /// block the components far from all its rows: the sums of all chunks are those of
    /// [`Packed::chunk_stats`] up to rounding.
    pub(crate) fn spatial_chunk_stats(&self, g: &GaussianMixture, c: usize) -> Stats {
        self.spatial().stats_by(&SKIPPING, g, c)
    }

    /// Chunk `c`'s blocks through the kernel of their dimension in `kernels`.
    fn stats_by(
        &self,
        kernels: &[BlocksKernel; MAX_LANE_DIM],
        g: &GaussianMixture,
        c: usize,
    ) -> Stats {
        let width = (self.d + 1) * LANES;
        let v = &self.values[self.starts[c] * width..self.starts[c + 1] * width];
        kernels[self.d - 1](g, v)
    }
}

/// A kernel over packed blocks ([`packed_stats_lanes`] in one dimension).
type BlocksKernel = fn(&GaussianMixture, &[f64]) -> Stats;

/// A kernel over gathered rows ([`chunk_stats_lanes`] in one dimension).
type GatherKernel = fn(&GaussianMixture, &[f64], Option<&[f64]>) -> Stats;

/// A log-density kernel ([`log_density_lanes`] in one dimension).
type DensityKernel = fn(&GaussianMixture, &[f64], &mut [f64]);

/// Declares the lane kernels of each dimension, each dispatched on the instruction sets
/// ([`crate::dispatch!`]), and the tables of them by dimension (entry `d - 1`): `PLAIN` and
/// `SKIPPING` over packed blocks (all components; leaving out far ones), `GATHERED` over
/// rows gathered on every pass, `DENSITY` the mixture log-density.
macro_rules! lane_kernels {
    ($(($d:literal, $plain:ident, $skip:ident, $gathered:ident, $density:ident)),* $(,)?) => {
        $(
            crate::dispatch!(fn $plain = packed_stats_lanes::<$d, false>,
                (g: &GaussianMixture, b: &[f64]) -> Stats);
            crate::dispatch!(fn $skip = packed_stats_lanes::<$d, true>,
                (g: &GaussianMixture, b: &[f64]) -> Stats);
            crate::dispatch!(fn $gathered = chunk_stats_lanes::<$d>,
                (g: &GaussianMixture, x: &[f64], w: Option<&[f64]>) -> Stats);
            crate::dispatch!(fn $density = log_density_lanes::<$d>,
                (g: &GaussianMixture, x: &[f64], out: &mut [f64]) -> ());
        )*
        /// The plain kernels over packed blocks, by dimension.
        const PLAIN: [BlocksKernel; MAX_LANE_DIM] = [$($plain),*];
        /// The kernels that leave far components out of each block, by dimension.
        const SKIPPING: [BlocksKernel; MAX_LANE_DIM] = [$($skip),*];
        /// The kernels over rows gathered on every pass, by dimension.
        const GATHERED: [GatherKernel; MAX_LANE_DIM] = [$($gathered),*];
        /// The log-density kernels, by dimension.
        const DENSITY: [DensityKernel; MAX_LANE_DIM] = [$($density),*];
    };
}

lane_kernels!(
    (1, packed_d1, skip_d1, stats_d1, density_d1),
    (2, packed_d2, skip_d2, stats_d2, density_d2),
    (3, packed_d3, skip_d3, stats_d3, density_d3),
    (4, packed_d4, skip_d4, stats_d4, density_d4),
    (5, packed_d5, skip_d5, stats_d5, density_d5),
    (6, packed_d6, skip_d6, stats_d6, density_d6),
    (7, packed_d7, skip_d7, stats_d7, density_d7),
    (8, packed_d8, skip_d8, stats_d8, density_d8),
    (9, packed_d9, skip_d9, stats_d9, density_d9),
    (10, packed_d10, skip_d10, stats_d10, density_d10),
    (11, packed_d11, skip_d11, stats_d11, density_d11),
    (12, packed_d12, skip_d12, stats_d12, density_d12),
    (13, packed_d13, skip_d13, stats_d13, density_d13),
    (14, packed_d14, skip_d14, stats_d14, density_d14),
    (15, packed_d15, skip_d15, stats_d15, density_d15),
    (16, packed_d16, skip_d16, stats_d16, density_d16),
);

/// The order of the rows of `x` (row-major, `d` columns, `1 <= d <= MAX_LANE_DIM`) along a Z-order
/// (Morton) curve: each coordinate quantised to `64 / d` bits (at most 32) on the rows'
/// bounding box,
/// the bits interleaved, most significant first; ties keep row order.
fn z_order(x: &[f64], d: usize) -> Vec<usize> {
    let n = x.len() / d;
    let bits = (64 / d).min(32) as u32;
    let top = ((1u64 << bits) - 1) as f64;
    let (lo, hi) = crate::init::bounding_box(x, d);
    let key = |row: &[f64]| -> u64 {
        let mut q = [0u64; MAX_LANE_DIM];
        for j in 0..d {
            let span = hi[j] - lo[j];
            // (a NaN or a zero span quantises to 0: the order is then only less useful)
            let u = if span > 0.0 {
                (row[j] - lo[j]) / span
            } else {
                0.0
            };
            q[j] = (u.clamp(0.0, 1.0) * top) as u64;
        }
        let mut k = 0u64;
        for b in (0..bits).rev() {
            for qj in q.iter().take(d) {
                k = (k << 1) | ((qj >> b) & 1);
            }
        }
        k
    };
    let mut keyed: Vec<(u64, usize)> = x.chunks_exact(d).map(key).zip(0..n).collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// [`chunk_stats_lanes`] on packed blocks (see [`Packed`]); with `SKIP`, leaving out of each
/// block the components far from all its rows.
#[inline(always)]
fn packed_stats_lanes<const D: usize, const SKIP: bool>(
    g: &GaussianMixture,
    blocks: &[f64],
) -> Stats {
    let mut sums = LaneSums::new(g.n_components(), D);
    for b in blocks.chunks_exact((D + 1) * LANES) {
        let xs: [[f64; LANES]; D] = std::array::from_fn(|j| {
            b[j * LANES..(j + 1) * LANES]
                .try_into()
                .expect("a block holds LANES values per column")
        });
        let ws: [f64; LANES] = b[D * LANES..]
            .try_into()
            .expect("a block holds LANES weights");
        sums.add_block::<D, SKIP>(g, &xs, &ws);
    }
    sums.finish()
}

/// One row's contribution: `lp[c]` holds `ln w_c + ln N(x | c)` on entry; responsibilities
/// are formed from a single exponential per component.
#[inline(always)]
fn accumulate(st: &mut Stats, lp: &mut [f64], u: &[f64], d: usize, wi: f64) {
    // After this, lp[c] = exp(lp[c] - max) and lse = max + ln(sum).
    let lse = gmm::log_sum_exp_in_place(lp);
    st.ll += wi * lse;
    let s: f64 = lp.iter().sum();
    let scale = wi / s;
    for (c, e) in lp.iter().enumerate() {
        let r = e * scale;
        st.nk[c] += r;
        let uc = &u[c * d..(c + 1) * d];
        let s1 = &mut st.s1[c * d..(c + 1) * d];
        for j in 0..d {
            s1[j] += r * uc[j];
        }
        let s2 = &mut st.s2[c * d * d..(c + 1) * d * d];
        for a in 0..d {
            let ra = r * uc[a];
            for b in a..d {
                s2[a * d + b] += ra * uc[b];
            }
        }
    }
}

/// The statistics of a chunk one row at a time, in any dimension: the path above
/// [`MAX_LANE_DIM`] columns (and the reference the lane kernels are tested against).
pub(crate) fn chunk_stats_dyn(g: &GaussianMixture, x: &[f64], w: Option<&[f64]>) -> Stats {
    let (k, d) = (g.n_components(), g.dim());
    let mut st = Stats::zeros(k, d);
    let mut lp = vec![0.0; k];
    let mut u = vec![0.0; k * d];
    for (i, row) in x.chunks_exact(d).enumerate() {
        let wi = w.map_or(1.0, |w| w[i]);
        if wi == 0.0 {
            continue;
        }
        for c in 0..k {
            let mu = g.mean(c);
            for j in 0..d {
                u[c * d + j] = row[j] - mu[j];
            }
            lp[c] = g.component_log_density(c, row);
        }
        accumulate(&mut st, &mut lp, &u, d, wi);
    }
    st
}
