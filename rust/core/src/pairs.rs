//! Many pairs of variables at once: every pair runs the full estimator (selection and
//! bootstrap) and pairs run in parallel on the same Rayon pool as their replicates, so the
//! machine is kept busy without oversubscription. Each pair uses the caller's seed, so a
//! cell equals the single-pair estimate with the same `random_state`.

use std::borrow::Cow;

use rayon::prelude::*;

use crate::categorical;
use crate::check::{self, CheckOptions, FitCheck};
use crate::control::Control;
use crate::diagnostics::Warning;
use crate::discrete;
use crate::error::{Error, Result};
use crate::estimator::{self, EstimatorOptions, Quantity, ValidOptions};
use crate::transform::{self, ColumnMap, MapFamily, Transform};

/// Which estimator a pair needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairKind {
    /// Both continuous: columns `a` and `b` of the continuous matrix.
    Continuous,
    /// `a` continuous, `b` a discrete column.
    Categorical,
    /// Both discrete.
    Discrete,
}

/// One pair: its kind and the column indices (into the continuous or the discrete matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// Estimator.
    pub kind: PairKind,
    /// First column.
    pub a: usize,
    /// Second column.
    pub b: usize,
}

/// The data of a batch of pairs: continuous columns (row-major `n x nc`) and discrete code
/// columns (row-major `n x nd`, codes in `0..levels[j]`).
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    /// Continuous values, row-major `n x nc`.
    pub continuous: &'a [f64],
    /// Number of continuous columns.
    pub nc: usize,
    /// Discrete codes, row-major `n x nd`.
    pub codes: &'a [usize],
    /// Number of levels of each discrete column.
    pub levels: &'a [usize],
    /// The lattice step of each continuous column whose values the caller spread over
    /// their cells, `0` for the others (empty: none is; see
    /// [`crate::estimator::EstimatorOptions::lattice_steps`]).
    pub steps: &'a [f64],
    /// For the checks of the pairs' fits: the edges of the cells (in the column's units) of
    /// each continuous column on a lattice that its pairs fit as it is, `None` for the
    /// others (empty: none is); a pair's check spreads such a column's values and its
    /// mixture's draws over these cells, mapped as the pair's representation maps the
    /// column ([`check::fit_check_in_cells`]).
    pub cells: &'a [Option<Vec<f64>>],
}

impl Columns<'_> {
    fn cont(&self, j: usize) -> impl Iterator<Item = f64> + '_ {
        self.continuous.iter().skip(j).step_by(self.nc).copied()
    }

    /// `opts` for an estimate on the continuous columns `columns`, with their lattice steps
    /// where one of them was spread (the options as they are otherwise).
    fn options_for<'o>(
        &self,
        opts: &'o ValidOptions,
        columns: &[usize],
    ) -> Result<Cow<'o, ValidOptions>> {
        let steps: Vec<f64> = columns
            .iter()
            .map(|&j| self.steps.get(j).copied().unwrap_or(0.0))
            .collect();
        Ok(if steps.iter().any(|&h| h > 0.0) {
            Cow::Owned(opts.with_lattice_steps(steps)?)
        } else {
            Cow::Borrowed(opts)
        })
    }
    /// The cells of a continuous pair's two columns for its check ([`Columns::cells`]),
    /// mapped by the pair's `transform`; empty when neither column has any.
    fn pair_cells(&self, p: &Pair, transform: &Transform) -> Vec<Option<Vec<f64>>> {
        let of = |j: usize| self.cells.get(j).and_then(Option::as_ref);
        if of(p.a).is_none() && of(p.b).is_none() {
            return Vec::new();
        }
        [p.a, p.b]
            .iter()
            .enumerate()
            .map(|(i, &j)| {
                let edges = of(j)?;
                // Rows with the edges in column i (the other column's value is never read:
                // each column has its own map).
                let rows: Vec<f64> = edges
                    .iter()
                    .flat_map(|&v| if i == 0 { [v, 0.0] } else { [0.0, v] })
                    .collect();
                let mapped = transform.apply(&rows).0;
                let column: Vec<f64> = mapped.iter().skip(i).step_by(2).copied().collect();
                check::cells_from_edges(&column)
            })
            .collect()
    }

    fn disc(&self, j: usize) -> Vec<usize> {
        let nd = self.levels.len();
        self.codes.iter().skip(j).step_by(nd).copied().collect()
    }
}

/// The outcome of one pair.
#[derive(Debug, Clone, PartialEq)]
pub struct PairResult {
    /// The point estimate: as [`estimator::Estimate::point`] (the mean of the replicates,
    /// or the bias-corrected value with `bias_correction`; the full-data value without
    /// bootstrap).
    pub mean: f64,
    /// Standard deviation of the replicates (NaN with fewer than two).
    pub std: f64,
    /// Replicate values.
    pub values: Vec<f64>,
    /// The value of the fit on all the data (as [`estimator::Estimate::full_value`]): with
    /// the replicates, what [`crate::stats::interval`] builds the pair's interval from.
    pub full_value: f64,
    /// Whether `mean`, `std` and the interval are bias-corrected (the estimator's
    /// `bias_correction`, for two discrete variables too, as their single estimate).
    pub bias_correction: bool,
    /// Selected number of components (joint estimator only).
    pub n_components: Option<usize>,
    /// The estimator's warnings for this pair (as the single-pair estimate raises them).
    pub warnings: Vec<Warning>,
    /// The representation the pair's mixture was fitted in (`None` when no mixture was
    /// fitted: two discrete variables, or a discrete one with a single level present).
    /// Whether several were compared follows from the options (`transform="auto"`).
    pub transform: Option<MapFamily>,
    /// The check of the pair's fit against its data ([`crate::check`]), when asked for and
    /// the pair has a mixture (not two discrete variables).
    pub check: Option<FitCheck>,
    /// Why the check could not run, when it could not.
    pub check_error: Option<String>,
}

impl PairResult {
    /// The MI of two discrete variables from its replicates and full-data value: with
    /// `bias_correction` the bias-corrected value and the std that holds the correction,
    /// otherwise the replicates' mean and std ([`crate::stats::summary`]; the full-data value
    /// when there are none), clipped at 0 and at `bound` (the information the variable of
    /// fewer levels can hold, [`crate::stats::information_bound`]).
    fn from_replicates(
        values: Vec<f64>,
        full_value: f64,
        bias_correction: bool,
        bound: f64,
    ) -> Self {
        let (mean, std) = crate::stats::summary(&values, full_value, bias_correction, true, bound);
        PairResult {
            mean,
            std,
            values,
            full_value,
            bias_correction,
            n_components: None,
            warnings: Vec::new(),
            transform: None,
            check: None,
            check_error: None,
        }
    }

    /// Records the outcome of a check; of its errors only cancellation is passed on.
    fn with_check(mut self, outcome: Option<Result<FitCheck>>) -> Result<Self> {
        match outcome {
            None => {}
            Some(Ok(c)) => self.check = Some(c),
            Some(Err(Error::Cancelled)) => return Err(Error::Cancelled),
            Some(Err(e)) => self.check_error = Some(e.to_string()),
        }
        Ok(self)
    }
}

/// The representation's column maps of the continuous pairs, each fitted once per (family,
/// column) instead of once per pair: a map depends only on the column's values and the rows
/// it is fitted on (see [`Transform::fit_column`]), so a cell keeps the single-pair
/// estimate's numbers. A map that fails to fit is left out (the pair
/// then fits it, and meets the failure, itself).
struct MapCache {
    families: Vec<MapFamily>,
    nc: usize,
    /// Indexed by `family index * nc + column`.
    maps: Vec<Option<ColumnMap>>,
}

impl MapCache {
    fn new(cols: &Columns, pairs: &[Pair], opts: &EstimatorOptions) -> MapCache {
        let families: Vec<MapFamily> = opts
            .transform
            .families()
            .into_iter()
            .filter(|&f| f != MapFamily::Identity)
            .collect();
        let nc = cols.nc;
        let mut wanted = vec![false; nc];
        for p in pairs.iter().filter(|p| p.kind == PairKind::Continuous) {
            wanted[p.a] = true;
            wanted[p.b] = true;
        }
        let n = cols.continuous.len() / nc.max(1);
        let rows = transform::fit_rows(n, opts.seed);
        let jobs: Vec<(usize, usize)> = (0..families.len())
            .flat_map(|f| (0..nc).filter(|&c| wanted[c]).map(move |c| (f, c)))
            .collect();
        let fitted: Vec<(usize, Option<ColumnMap>)> = jobs
            .par_iter()
            .map(|&(f, c)| {
                let map =
                    Transform::fit_column(families[f], cols.continuous, nc, c, rows.as_deref());
                (f * nc + c, map.ok())
            })
            .collect();
        let mut maps = vec![None; families.len() * nc];
        for (i, m) in fitted {
            maps[i] = m;
        }
        MapCache { families, nc, maps }
    }

    /// The map of `family` for the column at position `j` (0: `p.a`, 1: `p.b`) of `p`.
    fn get(&self, p: &Pair, family: MapFamily, j: usize) -> Option<ColumnMap> {
        let f = self.families.iter().position(|&g| g == family)?;
        let c = if j == 0 { p.a } else { p.b };
        self.maps[f * self.nc + c].clone()
    }
}

fn one(
    cols: &Columns,
    p: &Pair,
    opts: &ValidOptions,
    miller_madow: bool,
    check_opts: Option<&CheckOptions>,
    ctrl: &Control,
    cache: &MapCache,
) -> Result<PairResult> {
    match p.kind {
        PairKind::Continuous => {
            let x: Vec<f64> = cols
                .cont(p.a)
                .zip(cols.cont(p.b))
                .flat_map(|(u, v)| [u, v])
                .collect();
            let q = Quantity::MutualInformation {
                x: vec![0],
                y: vec![1],
            };
            let known = |family: MapFamily, j: usize| cache.get(p, family, j);
            let opts = cols.options_for(opts, &[p.a, p.b])?;
            let e = estimator::estimate_known(&x, 2, &q, &opts, ctrl, Some(&known))?;
            let (mean, std) = e.summary();
            // The check of the fit, on the data in the coordinates the mixture was fitted in.
            let outcome = check_opts.map(|co| {
                let cells = cols.pair_cells(p, &e.transform);
                check::fit_check_in_cells(
                    &e.transform.apply(&x).0,
                    &[1, 1],
                    &e.model,
                    &cells,
                    co,
                    ctrl,
                )
            });
            PairResult {
                mean,
                std,
                values: e.values(),
                full_value: e.full_value,
                bias_correction: e.bias_correction,
                n_components: Some(e.selection.k),
                warnings: e.warnings,
                transform: Some(e.transform.family),
                check: None,
                check_error: None,
            }
            .with_check(outcome)
        }
        PairKind::Categorical => {
            let x: Vec<f64> = cols.cont(p.a).collect();
            let raw = cols.disc(p.b);
            // Keep only the levels present, in order, so codes are 0..C-1.
            let mut present = vec![false; cols.levels[p.b]];
            for &v in &raw {
                present[v] = true;
            }
            let mut map = vec![usize::MAX; present.len()];
            let mut c = 0;
            for (level, &here) in present.iter().enumerate() {
                if here {
                    map[level] = c;
                    c += 1;
                }
            }
            if c < 2 {
                return Ok(PairResult {
                    mean: 0.0,
                    std: if opts.n_bootstrap > 1 { 0.0 } else { f64::NAN },
                    values: vec![0.0; opts.n_bootstrap],
                    full_value: 0.0,
                    bias_correction: false,
                    n_components: None,
                    warnings: Vec::new(),
                    transform: None,
                    check: None,
                    check_error: None,
                });
            }
            let labels: Vec<usize> = raw.iter().map(|&v| map[v]).collect();
            let opts = cols.options_for(opts, &[p.a])?;
            let e = categorical::estimate(&x, 1, &labels, c, &opts, ctrl)?;
            let (mean, std) = e.summary();
            let outcome = check_opts.map(|co| {
                let rows = e.transform.apply(&x).0;
                check::fit_check_categorical(&rows, 1, &labels, &e.models, co, ctrl)
            });
            PairResult {
                mean,
                std,
                values: e.values,
                full_value: e.full_value,
                bias_correction: e.bias_correction,
                n_components: None,
                warnings: e.warnings,
                transform: Some(e.transform.family),
                check: None,
                check_error: None,
            }
            .with_check(outcome)
        }
        PairKind::Discrete => {
            let (a, b) = (cols.disc(p.a), cols.disc(p.b));
            let e = discrete::estimate(
                &a,
                &b,
                cols.levels[p.a],
                cols.levels[p.b],
                miller_madow,
                opts.n_bootstrap,
                opts.seed,
                ctrl,
            )?;
            let present = |codes: &[usize], levels: usize| {
                let mut seen = vec![false; levels];
                codes.iter().for_each(|&c| seen[c] = true);
                seen.iter().filter(|&&s| s).count()
            };
            let classes = present(&a, cols.levels[p.a]).min(present(&b, cols.levels[p.b]));
            Ok(PairResult::from_replicates(
                e.values,
                e.full_value,
                opts.bias_correction,
                crate::stats::information_bound(classes),
            ))
        }
    }
}

/// Estimates every pair in parallel. A pair that fails keeps its error (the others go on);
/// cancellation stops everything and returns [`Error::Cancelled`]. With `check`, every
/// pair with a mixture is also checked against its data ([`check::fit_check`], or
/// [`check::fit_check_categorical`] for a continuous and a discrete variable) with these
/// options, as `MIResult.check_fit` checks a single estimate.
pub fn estimate_pairs(
    cols: &Columns,
    pairs: &[Pair],
    opts: &ValidOptions,
    miller_madow: bool,
    check: Option<&CheckOptions>,
    ctrl: &Control,
) -> Result<Vec<Result<PairResult>>> {
    crate::lattice::check_steps(cols.steps, cols.nc)?;
    check::check_cells(cols.cells, cols.nc)?;
    for p in pairs {
        let bad = match p.kind {
            PairKind::Continuous => p.a >= cols.nc || p.b >= cols.nc,
            PairKind::Categorical => p.a >= cols.nc || p.b >= cols.levels.len(),
            PairKind::Discrete => p.a >= cols.levels.len() || p.b >= cols.levels.len(),
        };
        if bad {
            return Err(Error::arg(
                "pairs",
                format!("pair {p:?} refers to a missing column"),
            ));
        }
    }
    ctrl.add_units(pairs.len() as u64);
    let cache = MapCache::new(cols, pairs, opts);
    let out: Vec<Result<PairResult>> = pairs
        .par_iter()
        .map(|p| {
            if ctrl.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let r = one(cols, p, opts, miller_madow, check, ctrl, &cache);
            ctrl.unit_done();
            r
        })
        .collect();
    if ctrl.is_cancelled() || out.iter().any(|r| matches!(r, Err(Error::Cancelled))) {
        return Err(Error::Cancelled);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrate::Integral;

    #[test]
    fn cells_equal_single_pair_estimates_and_failures_stay_local() {
        let g = crate::GaussianMixture::new(2, vec![1.0], vec![0.0, 0.0], vec![1.0, 0.5, 0.5, 1.0])
            .unwrap();
        let (xy, _) = g.sample(400, 1);
        // Columns: x, y, constant.
        let cont: Vec<f64> = xy.chunks(2).flat_map(|r| [r[0], r[1], 3.0]).collect();
        let codes: Vec<usize> = (0..400).map(|i| usize::from(xy[2 * i] > 0.0)).collect();
        let cols = Columns {
            continuous: &cont,
            nc: 3,
            codes: &codes,
            levels: &[2],
            steps: &[],
            cells: &[],
        };
        let opts = EstimatorOptions {
            n_bootstrap: 5,
            integral: Integral::MonteCarlo { samples: 2000 },
            ..Default::default()
        }
        .validated()
        .unwrap();
        let pairs = [
            Pair {
                kind: PairKind::Continuous,
                a: 0,
                b: 1,
            },
            Pair {
                kind: PairKind::Continuous,
                a: 0,
                b: 2,
            },
            Pair {
                kind: PairKind::Categorical,
                a: 1,
                b: 0,
            },
            Pair {
                kind: PairKind::Discrete,
                a: 0,
                b: 0,
            },
        ];
        let ctrl = Control::new();
        let out = estimate_pairs(&cols, &pairs, &opts, false, None, &ctrl).unwrap();
        let single = estimator::estimate(
            &xy,
            2,
            &Quantity::MutualInformation {
                x: vec![0],
                y: vec![1],
            },
            &opts,
            &Control::new(),
        )
        .unwrap();
        assert_eq!(out[0].as_ref().unwrap().values, single.values());
        assert!(matches!(out[1], Err(Error::InvalidArgument { .. })));
        assert!(out[2].as_ref().unwrap().mean > 0.05);
        // A discrete variable with itself: its entropy (two near-balanced classes).
        assert!((out[3].as_ref().unwrap().mean - 2f64.ln()).abs() < 0.05);
        assert_eq!(ctrl.units_done(), 4);
        assert!(out[0].as_ref().unwrap().check.is_none());

        // Asked for, each pair with a mixture is checked as its single estimate would be.
        let co = CheckOptions {
            max_rows: 4000,
            n_draws: 4,
            k: 3,
            seed: opts.seed,
        };
        let out = estimate_pairs(&cols, &pairs, &opts, false, Some(&co), &ctrl).unwrap();
        let rows = single.transform.apply(&xy).0;
        let want = check::fit_check(&rows, &[1, 1], &single.model, &co, &ctrl).unwrap();
        assert_eq!(out[0].as_ref().unwrap().check.as_ref(), Some(&want));
        assert!(out[2].as_ref().unwrap().check.is_some());
        assert!(out[3].as_ref().unwrap().check.is_none());
        assert!(out.iter().flatten().all(|r| r.check_error.is_none()));
    }
}
