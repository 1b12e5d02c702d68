//! `gmmi._core`: the PyO3 bindings of gmmi-core.
//!
//! Thin by design: convert arrays, validate the few things only the binding sees, release
//! the GIL, run the core on a Rayon pool of the requested size, and turn every error (and
//! any panic) into a Python exception.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use gmmi_core::diagnostics::{Warning, WarningKind};
use gmmi_core::em::{self, Data, EmOptions};
use gmmi_core::estimator::{self, Estimate, EstimatorOptions, Quantity, ValidOptions};
use gmmi_core::init::{initialize, InitMethod};
use gmmi_core::integrate::{self, Integral};
use gmmi_core::pairs::{self, Columns, Pair, PairKind};
use gmmi_core::qmc::Points;
use gmmi_core::select::{Folds, Metric, Neighbours, Patience, SelectOptions};
use gmmi_core::transform::{Candidate, ColumnMap, Transform, TransformOption};
use gmmi_core::{categorical, discrete, rng, stats, Error, GaussianMixture};
use numpy::ndarray::{Array1, Array2, Array3};
use numpy::{
    IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3, PyUntypedArrayMethods,
};
use pyo3::create_exception;
use pyo3::exceptions::{
    PyArithmeticError, PyKeyboardInterrupt, PyMemoryError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

create_exception!(
    _core,
    NumericalError,
    PyArithmeticError,
    "The numbers went wrong: a covariance lost positive definiteness, a likelihood or an \
     integral stopped being finite. The message says what to try."
);

fn to_py(e: Error) -> PyErr {
    match e {
        Error::InvalidArgument { arg, msg } => PyValueError::new_err(format!("{arg}: {msg}")),
        Error::Numerical(m) => NumericalError::new_err(m),
        Error::Cancelled => PyKeyboardInterrupt::new_err("gmmi computation cancelled"),
    }
}

/// Runs `f` with the GIL released on a pool of `n_jobs` threads (all cores when `None`),
/// converting errors and panics into Python exceptions.
fn run<T: Send>(
    py: Python<'_>,
    n_jobs: Option<usize>,
    f: impl FnOnce() -> gmmi_core::Result<T> + Send,
) -> PyResult<T> {
    let pool = pool(n_jobs)?;
    let out = py.detach(move || catch_unwind(AssertUnwindSafe(|| pool.install(f))));
    match out {
        Ok(r) => r.map_err(to_py),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(PyRuntimeError::new_err(format!(
                "internal error in gmmi's core ({msg}); please report it with the inputs that \
                 caused it"
            )))
        }
    }
}

/// How many thread pools are kept alive between calls: the most recently used sizes. A call
/// with another size builds a pool and drops the least recently used one (its threads exit
/// once no running call holds it), so a process holds at most this many pools' threads.
const POOL_CACHE: usize = 2;

/// Threads per pool at most, as a multiple of the cores: more only adds overhead, and results
/// do not depend on the thread count, so a larger `n_jobs` is clamped to this.
const MAX_THREADS_PER_CORE: usize = 4;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The largest pool built: `MAX_THREADS_PER_CORE` threads per core, at least 8.
fn max_threads() -> usize {
    (cores() * MAX_THREADS_PER_CORE).max(8)
}

/// Threads of the pool for `n_jobs` (`None`: `RAYON_NUM_THREADS` if set, else every core).
fn pool_size(n_jobs: Option<usize>) -> PyResult<usize> {
    let n = match n_jobs {
        Some(0) => return Err(PyValueError::new_err("n_jobs: must be at least 1")),
        Some(n) => n,
        None => std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(cores),
    };
    Ok(n.min(max_threads()))
}

/// The pools of this process, most recently used first, and the process they belong to.
struct Pools {
    pid: u32,
    recent: Vec<(usize, Arc<rayon::ThreadPool>)>,
}

static POOLS: Mutex<Pools> = Mutex::new(Pools {
    pid: 0,
    recent: Vec::new(),
});

/// Forgets the pools of a parent process. A forked child inherits the pool objects but not
/// their threads, so installing work on them would wait forever, and dropping them could
/// wait on locks held by threads that do not exist in the child: they are leaked instead
/// (a few hundred bytes each), and the child builds its own pools on first use.
fn forget_parent_pools(p: &mut Pools) {
    let pid = std::process::id();
    if p.pid != pid {
        for (_, pool) in p.recent.drain(..) {
            std::mem::forget(pool);
        }
        p.pid = pid;
    }
}

/// Every call runs on a pool of this module (never on Rayon's global pool, which cannot be
/// rebuilt after a fork). `pool` runs with the GIL held, and `os.fork` holds the GIL, so no
/// thread of this process is inside this lock when it forks.
fn pool(n_jobs: Option<usize>) -> PyResult<Arc<rayon::ThreadPool>> {
    let n = pool_size(n_jobs)?;
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    forget_parent_pools(&mut pools);
    if let Some(i) = pools.recent.iter().position(|(m, _)| *m == n) {
        let entry = pools.recent.remove(i);
        let p = entry.1.clone();
        pools.recent.insert(0, entry);
        return Ok(p);
    }
    let p = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("gmmi-{i}"))
            .build()
            .map_err(|e| PyRuntimeError::new_err(format!("could not start {n} threads: {e}")))?,
    );
    pools.recent.insert(0, (n, p.clone()));
    pools.recent.truncate(POOL_CACHE);
    Ok(p)
}

/// Copies of the data an estimate may hold at once (the input's copy, the standardised
/// data, cross-validation folds, a resampled fit's buffers), measured at 7 to 8.5 for the
/// joint estimator; the check below asks for this many with some margin.
const WORKING_COPIES: usize = 10;

/// Checks, before any work, that the working memory of a computation on `rows` rows of
/// `cols` values can be allocated: `WORKING_COPIES` copies of the data and one row weight
/// per row for each thread. The memory is reserved and released at once (the pages are
/// never touched), so a request beyond the address space or the memory limit becomes a
/// `MemoryError` naming `arg` instead of a failed allocation, which aborts the process, in
/// the middle of the computation.
fn check_working_memory(
    arg: &str,
    rows: usize,
    cols: usize,
    n_jobs: Option<usize>,
) -> PyResult<()> {
    let threads = pool_size(n_jobs)?;
    let values = rows
        .saturating_mul(cols.max(1))
        .saturating_mul(WORKING_COPIES)
        .saturating_add(rows.saturating_mul(threads));
    reserve_or_fail(
        arg,
        rows,
        cols,
        values.saturating_mul(std::mem::size_of::<f64>()),
    )
}

/// Whether `bytes` can be allocated now (reserved and released at once, the pages never
/// touched).
fn can_reserve(bytes: usize) -> bool {
    Vec::<u8>::new().try_reserve_exact(bytes).is_ok()
}

/// `MemoryError` naming `arg` unless `bytes` can be allocated (then released at once).
fn reserve_or_fail(arg: &str, rows: usize, cols: usize, bytes: usize) -> PyResult<()> {
    if !can_reserve(bytes) {
        return Err(PyMemoryError::new_err(format!(
            "{arg}: {rows} rows x {cols} columns need about {:.1} GiB of working memory, which \
             could not be allocated (memory or address-space limit); use a random subset of \
             the rows (the bootstrap error shrinks as 1/sqrt(n): a subset loses little)",
            bytes as f64 / (1u64 << 30) as f64
        )));
    }
    Ok(())
}

/// The rows of `a` for a model of dimension `dim`: a column count that differs is an error
/// naming `X` (not a silent reshape).
fn rows_for<'a>(a: &'a PyReadonlyArray2<'_, f64>, dim: usize) -> PyResult<Cow<'a, [f64]>> {
    let (v, d) = rows(a);
    if d != dim {
        return Err(PyValueError::new_err(format!(
            "X: expected {dim} columns (the model's dimension), got {d}"
        )));
    }
    Ok(v)
}

/// The rows of a 2-D array, row-major: the array's own memory when it is C-contiguous (the
/// Python layer passes such arrays), a copy otherwise.
fn rows<'a>(a: &'a PyReadonlyArray2<'_, f64>) -> (Cow<'a, [f64]>, usize) {
    let v = a.as_array();
    let d = v.ncols();
    if a.is_c_contiguous() {
        if let Ok(s) = a.as_slice() {
            return (Cow::Borrowed(s), d);
        }
    }
    (Cow::Owned(v.iter().copied().collect()), d)
}

/// Progress counters and a cancel flag shared with a running computation.
#[pyclass(module = "gmmi._core", frozen)]
struct Control(Arc<gmmi_core::Control>);

#[pymethods]
impl Control {
    #[new]
    fn new() -> Self {
        Control(Arc::new(gmmi_core::Control::new()))
    }
    /// Asks the computation to stop; it raises KeyboardInterrupt soon after.
    fn cancel(&self) {
        self.0.cancel();
    }
    /// Whether cancel() was called.
    #[getter]
    fn cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
    /// EM fits finished.
    #[getter]
    fn fits_done(&self) -> u64 {
        self.0.fits_done()
    }
    /// Units of work finished (CV fits, replicates, pairs).
    #[getter]
    fn tasks_done(&self) -> u64 {
        self.0.tasks_done()
    }
    /// Units of work announced so far.
    #[getter]
    fn tasks_total(&self) -> u64 {
        self.0.tasks_total()
    }
    /// Outer units (pairs) finished.
    #[getter]
    fn units_done(&self) -> u64 {
        self.0.units_done()
    }
    /// Outer units (pairs) announced.
    #[getter]
    fn units_total(&self) -> u64 {
        self.0.units_total()
    }
}

fn ctrl_of(c: Option<&Bound<'_, Control>>) -> Arc<gmmi_core::Control> {
    c.map(|c| c.get().0.clone())
        .unwrap_or_else(|| Arc::new(gmmi_core::Control::new()))
}

/// Points drawn from a mixture and their component labels.
type Sampled<'py> = (
    Bound<'py, numpy::PyArray2<f64>>,
    Bound<'py, numpy::PyArray1<i64>>,
);

/// A validated full-covariance Gaussian mixture (the core's [`GaussianMixture`]; in Python
/// `gmmi._core.GaussianMixture`, held by `gmmi.GaussianMixture`).
#[pyclass(module = "gmmi._core", frozen, name = "GaussianMixture")]
#[derive(Clone)]
struct Mixture(GaussianMixture);

#[pymethods]
impl Mixture {
    #[new]
    fn new(
        weights: PyReadonlyArray1<'_, f64>,
        means: PyReadonlyArray2<'_, f64>,
        covariances: PyReadonlyArray3<'_, f64>,
    ) -> PyResult<Self> {
        let w: Vec<f64> = weights.as_array().iter().copied().collect();
        let m = means.as_array();
        let c = covariances.as_array();
        let (k, d) = (m.nrows(), m.ncols());
        if w.len() != k {
            return Err(PyValueError::new_err(format!(
                "weights: expected {k} weights (one per row of means), got {}",
                w.len()
            )));
        }
        if c.shape() != [k, d, d] {
            return Err(PyValueError::new_err(format!(
                "covariances: expected shape ({k}, {d}, {d}), got {:?}",
                c.shape()
            )));
        }
        GaussianMixture::new(
            d,
            w,
            m.iter().copied().collect(),
            c.iter().copied().collect(),
        )
        .map(Mixture)
        .map_err(to_py)
    }
    #[getter]
    fn n_components(&self) -> usize {
        self.0.n_components()
    }
    #[getter]
    fn dim(&self) -> usize {
        self.0.dim()
    }
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray1<f64>> {
        Array1::from_vec(self.0.weights().to_vec()).into_pyarray(py)
    }
    #[getter]
    fn means<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
        let (k, d) = (self.0.n_components(), self.0.dim());
        Ok(Array2::from_shape_vec((k, d), self.0.means().to_vec())
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
            .into_pyarray(py))
    }
    #[getter]
    fn covariances<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, numpy::PyArray3<f64>>> {
        let (k, d) = (self.0.n_components(), self.0.dim());
        Ok(
            Array3::from_shape_vec((k, d, d), self.0.covariances().to_vec())
                .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
                .into_pyarray(py),
        )
    }
    #[getter]
    fn cholesky_factors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, numpy::PyArray3<f64>>> {
        let (k, d) = (self.0.n_components(), self.0.dim());
        Ok(
            Array3::from_shape_vec((k, d, d), self.0.cholesky_factors().to_vec())
                .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
                .into_pyarray(py),
        )
    }
    fn score_samples<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
        let v = rows_for(&x, self.0.dim())?;
        let g = &self.0;
        let out = run(py, None, || g.log_density(&v))?;
        Ok(Array1::from_vec(out).into_pyarray(py))
    }
    fn component_log_densities<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
        // The output has a value per row and component (and a working copy).
        let (n, k) = (x.as_array().nrows(), self.0.n_components());
        reserve_or_fail("X", n, k, n.saturating_mul(k).saturating_mul(2 * 8))?;
        let v = rows_for(&x, self.0.dim())?;
        let n = v.len() / self.0.dim();
        let out = run(py, None, || self.0.component_log_densities(&v))?;
        Ok(Array2::from_shape_vec((n, self.0.n_components()), out)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
            .into_pyarray(py))
    }
    fn responsibilities<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
        // The output has a value per row and component (and a working copy).
        let (n, k) = (x.as_array().nrows(), self.0.n_components());
        reserve_or_fail("X", n, k, n.saturating_mul(k).saturating_mul(2 * 8))?;
        let v = rows_for(&x, self.0.dim())?;
        let n = v.len() / self.0.dim();
        let out = run(py, None, || self.0.responsibilities(&v))?;
        Ok(Array2::from_shape_vec((n, self.0.n_components()), out)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
            .into_pyarray(py))
    }
    fn sample<'py>(&self, py: Python<'py>, n: usize, seed: u64) -> PyResult<Sampled<'py>> {
        let g = &self.0;
        let (x, l) = run(py, None, || {
            g.try_sample(n, rng::derive(seed, rng::Purpose::Sample, 0, 0))
        })?;
        let x = Array2::from_shape_vec((n, g.dim()), x)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let l: Vec<i64> = l.into_iter().map(|v| v as i64).collect();
        Ok((x.into_pyarray(py), Array1::from_vec(l).into_pyarray(py)))
    }
    fn marginal(&self, dims: Vec<usize>) -> PyResult<Self> {
        self.0.marginal(&dims).map(Mixture).map_err(to_py)
    }
    fn affine(&self, scale: Vec<f64>, shift: Vec<f64>) -> PyResult<Self> {
        self.0.affine(&scale, &shift).map(Mixture).map_err(to_py)
    }
    fn aic(&self, py: Python<'_>, x: PyReadonlyArray2<'_, f64>) -> PyResult<f64> {
        let v = rows_for(&x, self.0.dim())?;
        run(py, None, || self.0.aic(&v))
    }
    fn bic(&self, py: Python<'_>, x: PyReadonlyArray2<'_, f64>) -> PyResult<f64> {
        let v = rows_for(&x, self.0.dim())?;
        run(py, None, || self.0.bic(&v))
    }
    #[getter]
    fn n_parameters(&self) -> usize {
        self.0.n_parameters()
    }
}

/// Monte Carlo draws used where `mc_samples="auto"` and no error target applies (the
/// published count).
const AUTO_MC_SAMPLES: usize = 100_000;

/// An option that is "auto" (`None`) or a count (`mc_samples`, `patience`, `n_folds`); the
/// error names the option `name`.
fn auto_or_count(v: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<usize>> {
    if let Ok(s) = v.extract::<String>() {
        return if s == "auto" {
            Ok(None)
        } else {
            Err(PyValueError::new_err(format!(
                "{name}: expected 'auto' or a positive integer, got {s:?}"
            )))
        };
    }
    v.extract::<usize>().map(Some)
}

/// The values of the `integral` option (see [`parse_integral`]).
const INTEGRALS: [&str; 3] = ["qmc", "mc", "quadrature"];

/// The integral of the options `integral` and `mc_samples` (`None`: "auto", the points of a
/// quasi-Monte Carlo integral chosen from its error target, 1e5 Monte Carlo draws).
fn parse_integral(
    integral: &str,
    mc_samples: Option<usize>,
    order: Option<usize>,
) -> PyResult<Integral> {
    if order.is_some() {
        // A quadrature order is checked even when another integral is chosen.
        Integral::Quadrature { order }.check().map_err(to_py)?;
    }
    match integral {
        "mc" => Ok(Integral::MonteCarlo {
            samples: mc_samples.unwrap_or(AUTO_MC_SAMPLES),
        }),
        "qmc" => Ok(Integral::Qmc {
            points: mc_samples.map_or(
                Points::Target {
                    rel: integrate::QMC_REL_ERROR,
                },
                Points::Fixed,
            ),
            fallback: mc_samples.unwrap_or(AUTO_MC_SAMPLES),
        }),
        "quadrature" => Ok(Integral::Quadrature { order }),
        other => Err(PyValueError::new_err(format!(
            "integral: unknown integral {other:?}; expected 'qmc', 'mc' or 'quadrature'"
        ))),
    }
}

/// Initial parameters by one of the six strategies.
#[pyfunction]
#[pyo3(signature = (x, n_components, init, scale, seed))]
fn initial_mixture(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    n_components: usize,
    init: &str,
    scale: Option<f64>,
    seed: u64,
) -> PyResult<Mixture> {
    // A copy of the data and a responsibility per row and component.
    let (n, d) = x.as_array().dim();
    let values = n.saturating_mul(d.saturating_add(n_components));
    reserve_or_fail("X", n, d, values.saturating_mul(2 * 8))?;
    let (v, d) = rows(&x);
    let method: InitMethod = init.parse().map_err(to_py)?;
    run(py, None, || {
        let mut r = rng::stream(seed, rng::Purpose::Init, n_components as u64, 0);
        initialize(&v, d, n_components, method, scale, &mut r)
    })
    .map(Mixture)
}

/// `MIResult.check_fit`: the KSG of the rows `z` (in the mixture's coordinates, split into
/// `blocks` of columns: `[dx, dy]` for an MI, `[dx, dy, dz]` for a conditional MI) against
/// the KSG of `n_draws` draws from the mixture, with the columns of `cells` (the edges of
/// each column's cells in those coordinates, or None) spread over their cells (see the
/// core's `check::fit_check_in_cells`). Returns `(ksg_data, ksg_model, statistic,
/// threshold, n_rows)`.
#[pyfunction]
#[pyo3(signature = (
    mixture, z, blocks, max_rows, n_draws, k, seed, n_jobs=None, control=None, cells=None
))]
#[allow(clippy::too_many_arguments)]
fn fit_check<'py>(
    py: Python<'py>,
    mixture: &Mixture,
    z: PyReadonlyArray2<'_, f64>,
    blocks: Vec<usize>,
    max_rows: usize,
    n_draws: usize,
    k: usize,
    seed: u64,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
    cells: Option<Vec<Option<Vec<f64>>>>,
) -> PyResult<CheckTuple> {
    let d = mixture.0.dim();
    let v = rows_for(&z, d)?;
    let g = &mixture.0;
    let cells = usable_cells(cells);
    run_check(
        py,
        n_jobs,
        control,
        (max_rows, n_draws, k, seed),
        |opts, ctrl| gmmi_core::check::fit_check_in_cells(&v, &blocks, g, &cells, opts, ctrl),
    )
}

/// The rows of `z` (as [`rows`]), refused unless the column counts `blocks` add up to its
/// columns.
fn rows_in_blocks<'a>(
    z: &'a PyReadonlyArray2<'_, f64>,
    blocks: &[usize],
) -> PyResult<(Cow<'a, [f64]>, usize)> {
    let (v, d) = rows(z);
    if blocks.iter().sum::<usize>() != d {
        return Err(PyValueError::new_err(format!(
            "blocks: {blocks:?} do not add up to the rows' {d} columns"
        )));
    }
    Ok((v, d))
}

/// The data's half of `fit_check` alone: the KSG of the rows `z` (split into `blocks`) on
/// the check's seeded subset of `max_rows` rows, with `cells` spread as there, and the
/// number of rows it ran on: `(ksg_data, n_rows)`, the check's `ksg_data` for the same
/// `(max_rows, k, seed)` (see the core's `check::data_ksg_in_cells`).
#[pyfunction]
#[pyo3(signature = (z, blocks, max_rows, k, seed, n_jobs=None, control=None, cells=None))]
#[allow(clippy::too_many_arguments)]
fn data_ksg<'py>(
    py: Python<'py>,
    z: PyReadonlyArray2<'_, f64>,
    blocks: Vec<usize>,
    max_rows: usize,
    k: usize,
    seed: u64,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
    cells: Option<Vec<Option<Vec<f64>>>>,
) -> PyResult<(f64, usize)> {
    let (v, _) = rows_in_blocks(&z, &blocks)?;
    let cells = usable_cells(cells);
    let opts = check_options((max_rows, 0, k, seed)); // (no draw is made)
    let ctrl = ctrl_of(control);
    run(py, n_jobs, || {
        gmmi_core::check::data_ksg_in_cells(&v, &blocks, &cells, &opts, &ctrl)
    })
}

/// After a check of the fit that failed with a positive statistic: mixtures of more than
/// `k_start` components fitted to the rows `z` (in the estimate's mixture's coordinates,
/// columns split into `blocks`) with the estimate's `options`, each checked with the failed
/// check's `(max_rows, n_draws, k, seed)` and `cells`, until one's draws show the data's
/// dependence (see
/// the core's `extend::misfit_extension`). Returns None when no larger mixture could be
/// fitted, else `(steps, reached)` with `steps` the `(n_components, value, statistic)` of
/// every mixture fitted (values in nats).
#[pyfunction]
#[pyo3(signature = (
    z, blocks, k_start, *, options, max_rows, n_draws, k, seed, n_jobs=None, control=None,
    cells=None
))]
#[allow(clippy::too_many_arguments)]
fn misfit_extension<'py>(
    py: Python<'py>,
    z: PyReadonlyArray2<'_, f64>,
    blocks: Vec<usize>,
    k_start: usize,
    options: &Options,
    max_rows: usize,
    n_draws: usize,
    k: usize,
    seed: u64,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
    cells: Option<Vec<Option<Vec<f64>>>>,
) -> PyResult<ExtensionTuple> {
    let (v, _) = rows_in_blocks(&z, &blocks)?;
    let check_opts = check_options((max_rows, n_draws, k, seed));
    let ctrl = ctrl_of(control);
    let opts = &options.0;
    let out = run(py, n_jobs, || {
        let cells = usable_cells(cells);
        gmmi_core::extend::misfit_extension(&v, &blocks, k_start, opts, &check_opts, &cells, &ctrl)
    })?;
    Ok(out.map(|e| {
        let steps = e
            .steps
            .iter()
            .map(|s| (s.n_components, s.value, s.statistic))
            .collect();
        (steps, e.reached)
    }))
}

/// The cells of a check as the Python layer gives them (edges mapped by the estimate's
/// representation, which can saturate at the ends), made usable by the core's
/// `check::cells_from_edges`; empty for None.
fn usable_cells(cells: Option<Vec<Option<Vec<f64>>>>) -> Vec<Option<Vec<f64>>> {
    cells
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.and_then(|e| gmmi_core::check::cells_from_edges(&e)))
        .collect()
}

/// The outcome of a misfit extension as `(steps, reached)`, or None.
type ExtensionTuple = Option<(Vec<(usize, f64, f64)>, bool)>;

/// The options of a check from the binding's `(max_rows, n_draws, k, seed)`.
fn check_options(
    (max_rows, n_draws, k, seed): (usize, usize, usize, u64),
) -> gmmi_core::check::CheckOptions {
    gmmi_core::check::CheckOptions {
        max_rows,
        n_draws,
        k,
        seed,
    }
}

/// The outcome of a check as `(ksg_data, ksg_model, statistic, threshold, n_rows)`.
type CheckTuple = (f64, Vec<f64>, f64, f64, usize);

/// Runs a check `f` with the options `(max_rows, n_draws, k, seed)` on the pool of `n_jobs`
/// threads, the GIL released, cancellable through `control`.
fn run_check<'py>(
    py: Python<'py>,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
    (max_rows, n_draws, k, seed): (usize, usize, usize, u64),
    f: impl FnOnce(
            &gmmi_core::check::CheckOptions,
            &gmmi_core::Control,
        ) -> gmmi_core::Result<gmmi_core::check::FitCheck>
        + Send,
) -> PyResult<CheckTuple> {
    let opts = check_options((max_rows, n_draws, k, seed));
    let ctrl = ctrl_of(control);
    run(py, n_jobs, || f(&opts, &ctrl))
        .map(|c| (c.ksg_data, c.ksg_model, c.statistic, c.threshold, c.n_rows))
}

/// `MIResult.check_fit` of a continuous-categorical estimate: the KSG (after Ross 2014) of
/// the rows `x` (in the class mixtures' coordinates) and their class codes against that of
/// `n_draws` draws with the same classes from `models` (see the core's
/// `check::fit_check_categorical`). Returns `(ksg_data, ksg_model, statistic, threshold,
/// n_rows)`.
#[pyfunction]
#[pyo3(signature = (models, x, labels, max_rows, n_draws, k, seed, n_jobs=None, control=None))]
#[allow(clippy::too_many_arguments)]
fn fit_check_categorical<'py>(
    py: Python<'py>,
    models: Vec<PyRef<'py, Mixture>>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
    max_rows: usize,
    n_draws: usize,
    k: usize,
    seed: u64,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
) -> PyResult<CheckTuple> {
    let (v, d) = rows(&x);
    let labels = codes(&labels, "y")?;
    let models: Vec<GaussianMixture> = models.iter().map(|m| m.0.clone()).collect();
    run_check(
        py,
        n_jobs,
        control,
        (max_rows, n_draws, k, seed),
        |opts, ctrl| gmmi_core::check::fit_check_categorical(&v, d, &labels, &models, opts, ctrl),
    )
}

/// One EM iteration: the new mixture and the mean log-likelihood of the old one.
#[pyfunction]
fn em_step(
    py: Python<'_>,
    mixture: &Mixture,
    x: PyReadonlyArray2<'_, f64>,
    reg_covar: f64,
) -> PyResult<(Mixture, f64)> {
    let v = rows_for(&x, mixture.0.dim())?;
    let d = mixture.0.dim();
    let g = &mixture.0;
    run(py, None, || em::em_step(g, &Data::new(&v, d), reg_covar)).map(|(g, ll)| (Mixture(g), ll))
}

/// `GaussianMixture.fit`: standardise, EM from `n_init` starts, keep the best, back to the
/// data's units (see the core's `fit::fit_mixture_from`); the `*_init` parameters (flat, in
/// the data's units) replace the starts' (all three: one start from them).
#[pyfunction]
#[pyo3(signature = (
    x, n_components, init, n_init, scale, standardize, tol, max_iter, reg_covar,
    record_curves, seed, valid=None, n_jobs=None, control=None, weights_init=None,
    means_init=None, covariances_init=None
))]
#[allow(clippy::too_many_arguments)]
fn fit_mixture<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f64>,
    n_components: usize,
    init: &str,
    n_init: usize,
    scale: Option<f64>,
    standardize: bool,
    tol: f64,
    max_iter: usize,
    reg_covar: f64,
    record_curves: bool,
    seed: u64,
    valid: Option<PyReadonlyArray2<'_, f64>>,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
    weights_init: Option<PyReadonlyArray1<'_, f64>>,
    means_init: Option<PyReadonlyArray1<'_, f64>>,
    covariances_init: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (n, d) = x.as_array().dim();
    check_working_memory("X", n, d.saturating_add(n_components), n_jobs)?;
    let flat = |a: Option<PyReadonlyArray1<'_, f64>>| a.map(|a| a.as_array().to_vec());
    let given = gmmi_core::fit::GivenStart {
        weights: flat(weights_init),
        means: flat(means_init),
        covariances: flat(covariances_init),
    };
    let (v, d) = rows(&x);
    let val = valid.as_ref().map(rows).map(|(v, _)| v);
    let opts = gmmi_core::fit::FitOptions {
        n_components,
        init: init.parse().map_err(to_py)?,
        n_init,
        scale,
        standardize,
        em: EmOptions {
            threshold: tol,
            max_iter,
            reg_covar,
            record_curves,
            accelerate: false,
        },
    };
    opts.check().map_err(to_py)?;
    let ctrl = ctrl_of(control);
    let fit = run(py, n_jobs, || {
        gmmi_core::fit::fit_mixture_from(&v, d, val.as_deref(), &opts, &given, seed, &ctrl)
    })?;
    em_fit_dict(py, fit)
}

/// The dictionary of an EM fit: model, iterations, convergence, lower bound, curves.
fn em_fit_dict<'py>(py: Python<'py>, fit: em::EmFit) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("model", Mixture(fit.model))?;
    out.set_item("n_iter", fit.n_iter)?;
    out.set_item("converged", fit.converged)?;
    out.set_item("lower_bound", fit.lower_bound)?;
    out.set_item(
        "train_curve",
        Array1::from_vec(fit.train_curve).into_pyarray(py),
    )?;
    out.set_item(
        "valid_curve",
        Array1::from_vec(fit.valid_curve).into_pyarray(py),
    )?;
    Ok(out)
}

/// A full EM fit from `mixture`.
#[pyfunction]
#[pyo3(signature = (mixture, x, valid, threshold_fit, max_iter, reg_covar, record_curves, n_jobs=None, control=None, accelerate=false))]
#[allow(clippy::too_many_arguments)]
fn em_fit<'py>(
    py: Python<'py>,
    mixture: &Mixture,
    x: PyReadonlyArray2<'_, f64>,
    valid: Option<PyReadonlyArray2<'_, f64>>,
    threshold_fit: f64,
    max_iter: usize,
    reg_covar: f64,
    record_curves: bool,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
    accelerate: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let shape = x.as_array().dim();
    check_working_memory("X", shape.0, shape.1, n_jobs)?;
    let (v, d) = rows(&x);
    let val = valid.as_ref().map(rows).map(|(v, _)| v);
    let opts = EmOptions {
        threshold: threshold_fit,
        max_iter,
        reg_covar,
        record_curves,
        accelerate,
    };
    let ctrl = ctrl_of(control);
    let g = &mixture.0;
    let fit = run(py, n_jobs, || {
        em::fit(&Data::new(&v, d), val.as_deref(), g, &opts, Some(&ctrl))
    })?;
    em_fit_dict(py, fit)
}

/// What a warning of the core is about; the Python layer raises the gmmi warning class of
/// each kind (`gmmi._warnings`).
#[pyclass(module = "gmmi._core", name = "WarningKind", eq, eq_int, frozen, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum PyWarningKind {
    MaxComponents,
    ShortFits,
    NotConverged,
    TooFewRows,
    Degenerate,
    Redrawn,
    Representation,
}

impl From<WarningKind> for PyWarningKind {
    fn from(k: WarningKind) -> Self {
        match k {
            WarningKind::MaxComponents => PyWarningKind::MaxComponents,
            WarningKind::ShortFits => PyWarningKind::ShortFits,
            WarningKind::NotConverged => PyWarningKind::NotConverged,
            WarningKind::TooFewRows => PyWarningKind::TooFewRows,
            WarningKind::Degenerate => PyWarningKind::Degenerate,
            WarningKind::Redrawn => PyWarningKind::Redrawn,
            WarningKind::Representation => PyWarningKind::Representation,
        }
    }
}

fn selection_records<'py>(
    py: Python<'py>,
    s: &gmmi_core::select::Selection,
) -> PyResult<Bound<'py, PyList>> {
    let recs = PyList::empty(py);
    for r in &s.records {
        let d = PyDict::new(py);
        d.set_item("k", r.k)?;
        d.set_item("metric", r.metric)?;
        d.set_item("best_init", r.best_init)?;
        d.set_item("fold_scores", r.fold_scores.clone())?;
        d.set_item("n_iter", r.n_iter.clone())?;
        d.set_item("converged", r.converged.clone())?;
        recs.append(d)?;
    }
    Ok(recs)
}

fn warnings_list<'py>(py: Python<'py>, w: &[Warning]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for w in w {
        out.append((PyWarningKind::from(w.kind), w.message.clone()))?;
    }
    Ok(out)
}

/// The chosen representation: `{"name", "columns": [{"map", params...}], "candidates":
/// [{"name", "score", "n_components", "log_jacobian", "bulk_gain", "se", "affine", "value",
/// "bootstrap_share"}]}`.
fn transform_dict<'py>(
    py: Python<'py>,
    t: &Transform,
    candidates: &[Candidate],
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("name", t.family.name())?;
    let cols = PyList::empty(py);
    for c in &t.columns {
        let d = PyDict::new(py);
        d.set_item("map", c.family().name())?;
        match c {
            ColumnMap::Identity => {}
            ColumnMap::Asinh { centre, scale } => {
                d.set_item("centre", centre)?;
                d.set_item("scale", scale)?;
            }
            ColumnMap::Gaussianize {
                centre,
                scale,
                shift,
                spread,
                weights,
                means,
                sds,
            } => {
                d.set_item("centre", centre)?;
                d.set_item("scale", scale)?;
                d.set_item("shift", shift)?;
                d.set_item("spread", spread)?;
                d.set_item("weights", weights.clone())?;
                d.set_item("means", means.clone())?;
                d.set_item("sds", sds.clone())?;
            }
        }
        cols.append(d)?;
    }
    out.set_item("columns", cols)?;
    let cands = PyList::empty(py);
    for c in candidates {
        let d = PyDict::new(py);
        d.set_item("name", c.family.name())?;
        d.set_item("score", c.score)?;
        d.set_item("n_components", c.n_components)?;
        d.set_item("log_jacobian", c.log_jacobian)?;
        d.set_item("bulk_gain", c.bulk_gain)?;
        d.set_item("se", c.se)?;
        d.set_item("affine", c.affine)?;
        d.set_item("value", c.value)?;
        d.set_item("bootstrap_share", c.bootstrap_share)?;
        cands.append(d)?;
    }
    out.set_item("candidates", cands)?;
    Ok(out)
}

/// One column's map from the dictionary [`transform_dict`] writes.
fn column_map(c: &Bound<'_, PyDict>) -> PyResult<ColumnMap> {
    fn get<'py, T: FromPyObjectOwned<'py>>(c: &Bound<'py, PyDict>, key: &str) -> PyResult<T> {
        c.get_item(key)?
            .ok_or_else(|| PyValueError::new_err(format!("columns: a map needs {key:?}")))?
            .extract::<T>()
            .map_err(Into::into)
    }
    let map: String = get(c, "map")?;
    let out = match map.as_str() {
        "identity" => ColumnMap::Identity,
        "asinh" => ColumnMap::Asinh {
            centre: get(c, "centre")?,
            scale: get(c, "scale")?,
        },
        "gaussianize" => ColumnMap::Gaussianize {
            centre: get(c, "centre")?,
            scale: get(c, "scale")?,
            shift: get(c, "shift")?,
            spread: get(c, "spread")?,
            weights: get(c, "weights")?,
            means: get(c, "means")?,
            sds: get(c, "sds")?,
        },
        other => {
            return Err(PyValueError::new_err(format!(
                "columns: unknown map {other:?}"
            )))
        }
    };
    out.check().map_err(to_py)?;
    Ok(out)
}

/// Mapped rows and their log-Jacobian determinants.
type Mapped<'py> = (
    Bound<'py, numpy::PyArray2<f64>>,
    Bound<'py, numpy::PyArray1<f64>>,
);

/// Applies the per-column maps `columns` (as in an estimate's `transform["columns"]`) to
/// the rows of `data`: the mapped rows and the log-Jacobian determinant of every row.
#[pyfunction]
fn apply_transform<'py>(
    py: Python<'py>,
    columns: Vec<Bound<'py, PyDict>>,
    data: PyReadonlyArray2<'_, f64>,
) -> PyResult<Mapped<'py>> {
    let maps = columns
        .iter()
        .map(column_map)
        .collect::<PyResult<Vec<_>>>()?;
    let (v, d) = rows_for(&data, maps.len()).map(|v| (v, maps.len()))?;
    let n = v.len() / d.max(1);
    let mut out = vec![0.0; v.len()];
    let mut lj = vec![0.0; n];
    for (i, (row, dst)) in v.chunks_exact(d).zip(out.chunks_exact_mut(d)).enumerate() {
        for j in 0..d {
            let (y, l) = maps[j].apply(row[j]);
            dst[j] = y;
            lj[i] += l;
        }
    }
    let arr =
        Array2::from_shape_vec((n, d), out).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok((arr.into_pyarray(py), Array1::from_vec(lj).into_pyarray(py)))
}

fn estimate_dict<'py>(py: Python<'py>, e: Estimate) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("values", Array1::from_vec(e.values()).into_pyarray(py))?;
    out.set_item("full_value", e.full_value)?;
    out.set_item("integration_error", e.integration_error)?;
    out.set_item(
        "boot_n_iter",
        e.replicates.iter().map(|r| r.n_iter).collect::<Vec<_>>(),
    )?;
    out.set_item(
        "boot_converged",
        e.replicates.iter().map(|r| r.converged).collect::<Vec<_>>(),
    )?;
    out.set_item(
        "boot_n_components",
        e.replicates
            .iter()
            .map(|r| r.n_components)
            .collect::<Vec<_>>(),
    )?;
    let (point, std) = e.summary();
    out.set_item("estimate", point)?;
    out.set_item("std", std)?;
    out.set_item("bias_correction", e.bias_correction)?;
    out.set_item("nonnegative", e.nonnegative)?;
    out.set_item("model", Mixture(e.model.clone()))?;
    if e.replicates.iter().any(|r| r.model.is_some()) {
        let models = PyList::empty(py);
        for r in &e.replicates {
            if let Some(g) = &r.model {
                models.append(Mixture(g.clone()))?;
            }
        }
        out.set_item("boot_models", models)?;
    }
    out.set_item("model_n_iter", e.model_n_iter)?;
    out.set_item("model_converged", e.model_converged)?;
    out.set_item("n_components", e.selection.k)?;
    out.set_item("selection", selection_records(py, &e.selection)?)?;
    out.set_item("warnings", warnings_list(py, &e.warnings)?)?;
    out.set_item(
        "transform",
        transform_dict(py, &e.transform, &e.transform_candidates)?,
    )?;
    Ok(out)
}

/// The estimator's options, checked once on construction into the core's validated type
/// (every entry point then takes this object instead of twenty arguments).
#[pyclass(module = "gmmi._core", frozen, name = "Options")]
struct Options(ValidOptions);

#[pymethods]
impl Options {
    #[new]
    #[pyo3(signature = (
        *, n_bootstrap, mc_samples, integral, quadrature_order, selection, n_inits, n_folds,
        patience, threshold_components, max_components, n_components, threshold_fit,
        reg_covar, max_iter, init, scale, standardize, seed, auto_threshold,
        bootstrap_neighbours, bias_correction, stratified_bootstrap, transform, accelerate_em,
        bin_rows, screen_starts
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        n_bootstrap: usize,
        mc_samples: &Bound<'_, PyAny>,
        integral: &str,
        quadrature_order: Option<usize>,
        selection: &str,
        n_inits: usize,
        n_folds: &Bound<'_, PyAny>,
        patience: &Bound<'_, PyAny>,
        threshold_components: f64,
        max_components: usize,
        n_components: Option<usize>,
        threshold_fit: f64,
        reg_covar: f64,
        max_iter: usize,
        init: &str,
        scale: Option<f64>,
        standardize: bool,
        seed: u64,
        auto_threshold: bool,
        bootstrap_neighbours: &Bound<'_, PyAny>,
        bias_correction: bool,
        stratified_bootstrap: bool,
        transform: &str,
        accelerate_em: bool,
        bin_rows: bool,
        screen_starts: bool,
    ) -> PyResult<Self> {
        let metric: Metric = selection.parse().map_err(to_py)?;
        let init: InitMethod = init.parse().map_err(to_py)?;
        let opts = EstimatorOptions {
            select: SelectOptions {
                n_inits,
                n_folds: parse_folds(n_folds)?,
                patience: auto_or_count(patience, "patience")?
                    .map_or(Patience::Auto, Patience::Fixed),
                threshold: threshold_components,
                max_components,
                fixed_components: n_components,
                metric,
                init,
                scale,
                screen_starts,
            },
            em: EmOptions {
                threshold: threshold_fit,
                max_iter,
                reg_covar,
                record_curves: false,
                accelerate: accelerate_em,
            },
            n_bootstrap,
            integral: parse_integral(
                integral,
                auto_or_count(mc_samples, "mc_samples")?,
                quadrature_order,
            )?,
            standardize,
            seed,
            auto_threshold,
            bootstrap_neighbours: auto_or_count(bootstrap_neighbours, "bootstrap_neighbours")?
                .map_or(Neighbours::Auto, Neighbours::Fixed),
            bias_correction,
            stratified_bootstrap,
            transform: TransformOption::parse(transform).map_err(to_py)?,
            bin_rows,
            lattice_steps: Vec::new(),
            keep_models: false,
        };
        Ok(Options(opts.validated().map_err(to_py)?))
    }
}

/// Population standard deviation of every column of a finite 2-D array (the core's
/// `stats::column_moments`: no overflow or underflow for any finite values).
#[pyfunction]
fn column_std<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f64>,
) -> Bound<'py, numpy::PyArray1<f64>> {
    let a = x.as_array();
    let n = a.nrows();
    let out: Vec<f64> = a
        .columns()
        .into_iter()
        .map(|c| stats::column_moments(c.iter().copied(), n).1)
        .collect();
    Array1::from_vec(out).into_pyarray(py)
}

/// The robust standard deviation (1.4826 median absolute deviations from the median) of
/// every column of a finite 2-D array: the core's `stats::median_and_robust_sd`, a column
/// at a time with the GIL released (the scale the heavy-tail check and the check of the
/// regularisation against the bulk of a column compare with).
#[pyfunction]
fn column_robust_sd<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f64>,
) -> Bound<'py, numpy::PyArray1<f64>> {
    let a = x.as_array();
    let out = py.detach(|| {
        let mut work = Vec::new();
        a.columns()
            .into_iter()
            .map(|c| stats::median_and_robust_sd(c.iter().copied(), &mut work).1)
            .collect::<Vec<f64>>()
    });
    Array1::from_vec(out).into_pyarray(py)
}

/// Which values of every column of a finite 2-D array lie more than `sds` robust standard
/// deviations (1.4826 median absolute deviations) from their column's median (none in a
/// column whose MAD is 0): the core's `stats::far_from_median`, a column at a time with the
/// GIL released. A boolean array of the same shape.
#[pyfunction]
fn far_from_median<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f64>,
    sds: f64,
) -> PyResult<Bound<'py, numpy::PyArray2<bool>>> {
    if !(sds.is_finite() && sds > 0.0) {
        return Err(PyValueError::new_err(
            "sds: must be a finite positive number",
        ));
    }
    let a = x.as_array();
    // A column at a time: at 10^7 rows each copy is 80 MB.
    let out = py.detach(|| {
        let mut out = Array2::from_elem(a.dim(), false);
        for (col, mut flags) in a.columns().into_iter().zip(out.columns_mut()) {
            let far = stats::far_from_median(&col.to_vec(), sds);
            flags.iter_mut().zip(far).for_each(|(f, v)| *f = v);
        }
        out
    });
    Ok(out.into_pyarray(py))
}

/// The threshold of the check of a fit with `n_draws` draws (see the core's
/// `check::threshold`): the check fails where `|statistic|` exceeds it.
#[pyfunction]
fn check_threshold(n_draws: usize) -> PyResult<f64> {
    gmmi_core::check::threshold(n_draws).map_err(to_py)
}

/// The instruction-set variant the vectorised kernels run: "avx512", "avx2" or "baseline"
/// (the widest the CPU has, limited by the environment variable `GMMI_SIMD`).
#[pyfunction]
fn simd_variant() -> &'static str {
    match gmmi_core::vmath::chosen_variant() {
        gmmi_core::vmath::Variant::Avx512 => "avx512",
        gmmi_core::vmath::Variant::Avx2 => "avx2",
        gmmi_core::vmath::Variant::Baseline => "baseline",
    }
}

/// The cross-validation folds the component search uses on `n` rows with the option
/// `n_folds` ("auto" or a count; see [`Folds::for_rows`]).
#[pyfunction]
fn folds_for_rows(n_folds: &Bound<'_, PyAny>, n: usize) -> PyResult<usize> {
    Ok(parse_folds(n_folds)?.for_rows(n))
}

/// The fewest rows a component search needs in the folds of the option `n_folds` for
/// `needed` training rows in every fold (see [`Folds::min_rows`]).
#[pyfunction]
fn folds_min_rows(n_folds: &Bound<'_, PyAny>, needed: usize) -> PyResult<usize> {
    Ok(parse_folds(n_folds)?.min_rows(needed))
}

/// The option `n_folds`: "auto" or a count.
fn parse_folds(v: &Bound<'_, PyAny>) -> PyResult<Folds> {
    Ok(auto_or_count(v, "n_folds")?.map_or(Folds::Auto, Folds::Fixed))
}

/// The option values of a preset: "gmmi" (the defaults) or "published" (Piras et al. 2023),
/// as the keyword arguments of `Options` (without `seed`). The one place the defaults live.
#[pyfunction]
fn preset<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
    let o = match name {
        "gmmi" => EstimatorOptions::default(),
        "published" => EstimatorOptions::published(),
        other => {
            return Err(PyValueError::new_err(format!(
                "preset: unknown preset {other:?}; expected 'gmmi' or 'published'"
            )))
        }
    };
    let d = PyDict::new(py);
    d.set_item("n_bootstrap", o.n_bootstrap)?;
    let (integral, mc) = match o.integral {
        Integral::MonteCarlo { samples } => ("mc", Some(samples)),
        Integral::Qmc {
            points: Points::Fixed(m),
            ..
        } => ("qmc", Some(m)),
        Integral::Qmc { .. } => ("qmc", None),
        Integral::Quadrature { .. } => ("quadrature", None),
    };
    match mc {
        Some(m) => d.set_item("mc_samples", m)?,
        None => d.set_item("mc_samples", "auto")?,
    }
    d.set_item("integral", integral)?;
    d.set_item("quadrature_order", py.None())?;
    d.set_item(
        "selection",
        match o.select.metric {
            Metric::Valid => "valid",
            Metric::Aic => "aic",
            Metric::Bic => "bic",
        },
    )?;
    d.set_item("n_inits", o.select.n_inits)?;
    match o.select.n_folds {
        Folds::Fixed(k) => d.set_item("n_folds", k)?,
        Folds::Auto => d.set_item("n_folds", "auto")?,
    }
    match o.select.patience {
        Patience::Fixed(p) => d.set_item("patience", p)?,
        Patience::Auto => d.set_item("patience", "auto")?,
    }
    d.set_item("threshold_components", o.select.threshold)?;
    d.set_item("max_components", o.select.max_components)?;
    d.set_item("n_components", o.select.fixed_components)?;
    d.set_item("threshold_fit", o.em.threshold)?;
    d.set_item("reg_covar", o.em.reg_covar)?;
    d.set_item("max_iter", o.em.max_iter)?;
    d.set_item("init", o.select.init.name())?;
    d.set_item("scale", o.select.scale)?;
    d.set_item("standardize", o.standardize)?;
    d.set_item("auto_threshold", o.auto_threshold)?;
    match o.bootstrap_neighbours {
        Neighbours::Fixed(w) => d.set_item("bootstrap_neighbours", w)?,
        Neighbours::Auto => d.set_item("bootstrap_neighbours", "auto")?,
    }
    d.set_item("bias_correction", o.bias_correction)?;
    d.set_item("stratified_bootstrap", o.stratified_bootstrap)?;
    d.set_item("accelerate_em", o.em.accelerate)?;
    d.set_item("bin_rows", o.bin_rows)?;
    d.set_item("screen_starts", o.select.screen_starts)?;
    d.set_item("transform", o.transform.name())?;
    Ok(d)
}

/// The point estimate and std of replicate values (see the core's `stats::summary`).
#[pyfunction]
#[pyo3(signature = (values, full_value, bias_correction, nonnegative, at_most=f64::INFINITY))]
fn summary(
    values: Vec<f64>,
    full_value: f64,
    bias_correction: bool,
    nonnegative: bool,
    at_most: f64,
) -> (f64, f64) {
    stats::summary(&values, full_value, bias_correction, nonnegative, at_most)
}

/// The central bootstrap interval at `level` by `method` ("normal", "basic",
/// "percentile"; `None`: the estimate's default, `IntervalMethod::default_for`; see the
/// core's `stats::interval`).
#[pyfunction]
#[pyo3(signature = (values, full_value, level, bias_correction, nonnegative, method=None))]
fn interval(
    values: Vec<f64>,
    full_value: f64,
    level: f64,
    bias_correction: bool,
    nonnegative: bool,
    method: Option<&str>,
) -> PyResult<(f64, f64)> {
    let method = match method {
        Some(m) => stats::IntervalMethod::parse(m).map_err(to_py)?,
        None => stats::IntervalMethod::default_for(bias_correction),
    };
    Ok(stats::interval(
        &values,
        full_value,
        level,
        method,
        bias_correction,
        nonnegative,
    ))
}

/// The joint GMM-MI estimator: `kind` is "mi", "cmi", "entropy", "kl" or "kl_reverse";
/// `keep_models` also returns every bootstrap replicate's model ("boot_models");
/// `lattice_steps` (MI and CMI: one per column of `data`, 0 where not spread) are the steps
/// of the lattices whose values the caller spread over their cells.
#[pyfunction]
#[pyo3(signature = (
    data, kind, x_cols, y_cols, z_cols, *, options, keep_models=false, lattice_steps=None,
    n_jobs=None, control=None
))]
#[allow(clippy::too_many_arguments)]
fn estimate<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'_, f64>,
    kind: &str,
    x_cols: Vec<usize>,
    y_cols: Vec<usize>,
    z_cols: Vec<usize>,
    options: &Options,
    keep_models: bool,
    lattice_steps: Option<Vec<f64>>,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
) -> PyResult<Bound<'py, PyDict>> {
    let shape = data.as_array().dim();
    // With n_components fixed, an initialisation holds a responsibility per row and
    // component (the search starts at K = 1 and stops early, so it is not counted).
    let k = options.0.select.fixed_components.unwrap_or(0);
    if k > shape.0 {
        return Err(PyValueError::new_err(format!(
            "n_components: {k} components need at least {k} rows (each needs rows of its \
             own); the data have {}",
            shape.0
        )));
    }
    check_working_memory("x", shape.0, shape.1.saturating_add(k), n_jobs)?;
    let (v, d) = rows(&data);
    let opts = &options
        .0
        .with_keep_models(keep_models)
        .with_lattice_steps(lattice_steps.unwrap_or_default())
        .map_err(to_py)?;
    let quantity = match kind {
        "mi" => Quantity::MutualInformation {
            x: x_cols,
            y: y_cols,
        },
        "cmi" => Quantity::ConditionalMutualInformation {
            x: x_cols,
            y: y_cols,
            z: z_cols,
        },
        "entropy" => Quantity::Entropy,
        "kl" | "kl_reverse" => {
            if x_cols.len() != 1 || y_cols.len() != 1 {
                return Err(PyValueError::new_err("x: KL divergence needs 1-D x and y"));
            }
            Quantity::KlDivergence {
                x: x_cols[0],
                y: y_cols[0],
                reverse: kind == "kl_reverse",
            }
        }
        other => {
            return Err(PyValueError::new_err(format!(
                "kind: unknown quantity {other:?}"
            )))
        }
    };
    let ctrl = ctrl_of(control);
    let e = run(py, n_jobs, || {
        estimator::estimate(&v, d, &quantity, opts, &ctrl)
    })?;
    estimate_dict(py, e)
}

/// MI, conditional MI or entropy of a given mixture (no fitting); `control` cancels it.
#[pyfunction]
#[pyo3(signature = (
    mixture, kind, x_cols, y_cols, z_cols, integral, mc_samples, quadrature_order, seed,
    n_jobs=None, control=None
))]
#[allow(clippy::too_many_arguments)]
fn model_quantity<'py>(
    py: Python<'py>,
    mixture: &Mixture,
    kind: &str,
    x_cols: Vec<usize>,
    y_cols: Vec<usize>,
    z_cols: Vec<usize>,
    integral: &str,
    mc_samples: usize,
    quadrature_order: Option<usize>,
    seed: u64,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
) -> PyResult<f64> {
    let integral = parse_integral(integral, Some(mc_samples), quadrature_order)?;
    let g = &mixture.0;
    let seed = rng::derive(seed, rng::Purpose::MonteCarlo, 0, 0);
    let ctrl = ctrl_of(control);
    match kind {
        "mi" => run(py, n_jobs, || {
            integrate::mutual_information(g, &x_cols, &y_cols, &integral, seed, &ctrl)
        }),
        "cmi" => run(py, n_jobs, || {
            integrate::conditional_mutual_information(
                g, &x_cols, &y_cols, &z_cols, &integral, seed, &ctrl,
            )
        }),
        "entropy" => run(py, n_jobs, || integrate::entropy(g, &integral, seed, &ctrl)),
        other => Err(PyValueError::new_err(format!(
            "kind: unknown quantity {other:?}"
        ))),
    }
}

/// Continuous-categorical MI: x rows and class codes in 0..n_classes; `lattice_steps` (one
/// per column of `data`, 0 where not spread) are the steps of the lattices whose values the
/// caller spread over their cells.
#[pyfunction]
#[pyo3(signature = (
    data, labels, n_classes, *, options, lattice_steps=None, n_jobs=None, control=None
))]
#[allow(clippy::too_many_arguments)]
fn estimate_categorical<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
    n_classes: usize,
    options: &Options,
    lattice_steps: Option<Vec<f64>>,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
) -> PyResult<Bound<'py, PyDict>> {
    let shape = data.as_array().dim();
    check_working_memory("x", shape.0, shape.1 + 1, n_jobs)?;
    let (v, d) = rows(&data);
    let labels = codes(&labels, "y")?;
    let opts = &options
        .0
        .with_lattice_steps(lattice_steps.unwrap_or_default())
        .map_err(to_py)?;
    let ctrl = ctrl_of(control);
    let e = run(py, n_jobs, || {
        categorical::estimate(&v, d, &labels, n_classes, opts, &ctrl)
    })?;
    let out = PyDict::new(py);
    out.set_item(
        "values",
        Array1::from_vec(e.values.clone()).into_pyarray(py),
    )?;
    out.set_item("full_value", e.full_value)?;
    let (point, std) = e.summary();
    out.set_item("estimate", point)?;
    out.set_item("std", std)?;
    out.set_item("bias_correction", e.bias_correction)?;
    out.set_item("nonnegative", true)?;
    out.set_item("pi", e.pi.clone())?;
    out.set_item("counts", e.counts.clone())?;
    out.set_item("choices", e.choices.clone())?;
    let models = PyList::empty(py);
    for g in &e.models {
        models.append(Mixture(g.clone()))?;
    }
    out.set_item("models", models)?;
    let sels = PyList::empty(py);
    for s in &e.selections {
        let d = PyDict::new(py);
        d.set_item("n_components", s.k)?;
        d.set_item("selection", selection_records(py, s)?)?;
        sels.append(d)?;
    }
    out.set_item(
        "transform",
        transform_dict(py, &e.transform, &e.transform_candidates)?,
    )?;
    out.set_item("selections", sels)?;
    out.set_item("warnings", warnings_list(py, &e.warnings)?)?;
    Ok(out)
}

fn codes(a: &PyReadonlyArray1<'_, i64>, name: &str) -> PyResult<Vec<usize>> {
    a.as_array()
        .iter()
        .map(|&v| {
            usize::try_from(v)
                .map_err(|_| PyValueError::new_err(format!("{name}: negative class code")))
        })
        .collect()
}

/// Plug-in MI of two discrete code vectors, with bootstrap.
#[pyfunction]
#[pyo3(signature = (a, b, na, nb, *, miller_madow, n_bootstrap, seed, n_jobs=None, control=None))]
#[allow(clippy::too_many_arguments)]
fn estimate_discrete<'py>(
    py: Python<'py>,
    a: PyReadonlyArray1<'_, i64>,
    b: PyReadonlyArray1<'_, i64>,
    na: usize,
    nb: usize,
    miller_madow: bool,
    n_bootstrap: usize,
    seed: u64,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
) -> PyResult<Bound<'py, PyDict>> {
    check_working_memory("x", a.len(), 2, n_jobs)?;
    let a = codes(&a, "x")?;
    let b = codes(&b, "y")?;
    let ctrl = ctrl_of(control);
    let e = run(py, n_jobs, || {
        discrete::estimate(&a, &b, na, nb, miller_madow, n_bootstrap, seed, &ctrl)
    })?;
    let out = PyDict::new(py);
    out.set_item(
        "values",
        Array1::from_vec(e.values.clone()).into_pyarray(py),
    )?;
    out.set_item("full_value", e.full_value)?;
    // The non-empty cells only (row-major): a dense table of two ID-like columns would not
    // fit in memory. Python builds the dense table when it is small.
    let cells: Vec<i64> = e
        .cells
        .iter()
        .flat_map(|&(i, j, c)| [i as i64, j as i64, c as i64])
        .collect();
    out.set_item(
        "cells",
        Array2::from_shape_vec((e.cells.len(), 3), cells)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
            .into_pyarray(py),
    )?;
    Ok(out)
}

/// Many pairs at once. `pairs` holds (kind, a, b) with kind "cc" (continuous-continuous,
/// columns of `continuous`), "cd" (continuous column a, discrete column b) or "dd";
/// `lattice_steps`: per continuous column, the step of the lattice whose values the caller
/// spread over their cells (0 where not spread); `check_cells`: per continuous column, the
/// edges of its cells (in its units) when it is on a lattice its pairs fit as it is, which
/// the pairs' checks spread it over (None for the others). Returns one entry per pair: a
/// dict, or the error message of a pair that failed.
#[pyfunction]
#[pyo3(signature = (
    continuous, codes, levels, pairs, *, miller_madow, options, check=None,
    lattice_steps=None, n_jobs=None, control=None, check_cells=None
))]
#[allow(clippy::too_many_arguments)]
fn estimate_pairs<'py>(
    py: Python<'py>,
    continuous: PyReadonlyArray2<'_, f64>,
    codes: PyReadonlyArray2<'_, i64>,
    levels: Vec<usize>,
    pairs: Vec<(String, usize, usize)>,
    miller_madow: bool,
    options: &Options,
    check: Option<(usize, usize, usize)>,
    lattice_steps: Option<Vec<f64>>,
    n_jobs: Option<usize>,
    control: Option<&Bound<'py, Control>>,
    check_cells: Option<Vec<Option<Vec<f64>>>>,
) -> PyResult<Bound<'py, PyList>> {
    // Two copies of all the columns, and every thread works on one pair (two columns) at a
    // time with the working memory of one estimate.
    let n = continuous.as_array().nrows().max(codes.as_array().nrows());
    let cols = continuous.as_array().ncols() + codes.as_array().ncols();
    let values = n.saturating_mul(cols).saturating_mul(2).saturating_add(
        n.saturating_mul(2 * WORKING_COPIES + 1)
            .saturating_mul(pool_size(n_jobs)?),
    );
    reserve_or_fail("A", n, cols, values.saturating_mul(8))?;
    // Every pair's replicate values: the core's, their Python floats on the way out and
    // the matrix's array of them (mirrored in a symmetric matrix): about seven doubles each.
    let n_boot = options.0.n_bootstrap;
    let replicate_bytes = pairs
        .len()
        .saturating_mul(n_boot)
        .saturating_mul(7 * std::mem::size_of::<f64>());
    if !can_reserve(replicate_bytes) {
        return Err(PyMemoryError::new_err(format!(
            "n_bootstrap: {} pairs x {n_boot} replicates need about {:.1} GiB for their \
             values, which could not be allocated (memory or address-space limit); a few \
             hundred replicates settle the standard deviation: use fewer, or fewer pairs per \
             call",
            pairs.len(),
            replicate_bytes as f64 / (1u64 << 30) as f64
        )));
    }
    let (cont, nc) = rows(&continuous);
    let n = continuous.as_array().nrows();
    let code_view = codes.as_array();
    if code_view.nrows() != n && code_view.ncols() > 0 {
        return Err(PyValueError::new_err(
            "codes: row count differs from continuous",
        ));
    }
    if code_view.ncols() != levels.len() {
        return Err(PyValueError::new_err(
            "levels: one level count per discrete column",
        ));
    }
    let mut code_vec = Vec::with_capacity(code_view.len());
    for (i, &v) in code_view.iter().enumerate() {
        let j = i % levels.len().max(1);
        match usize::try_from(v) {
            Ok(c) if c < levels[j] => code_vec.push(c),
            _ => {
                return Err(PyValueError::new_err(format!(
                    "codes: code {v} out of range"
                )))
            }
        }
    }
    let pairs = pairs
        .into_iter()
        .map(|(k, a, b)| {
            let kind = match k.as_str() {
                "cc" => PairKind::Continuous,
                "cd" => PairKind::Categorical,
                "dd" => PairKind::Discrete,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "pairs: unknown kind {other:?}"
                    )))
                }
            };
            Ok(Pair { kind, a, b })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let opts = &options.0;
    let ctrl = ctrl_of(control);
    let steps = lattice_steps.unwrap_or_default();
    let cells = check_cells.unwrap_or_default();
    let cols = Columns {
        continuous: &cont,
        nc,
        codes: &code_vec,
        levels: &levels,
        steps: &steps,
        cells: &cells,
    };
    // Checked with the pairs' seed, as `MIResult.check_fit` checks a single estimate.
    let check = check.map(|(max_rows, n_draws, k)| gmmi_core::check::CheckOptions {
        max_rows,
        n_draws,
        k,
        seed: opts.seed,
    });
    let out = run(py, n_jobs, || {
        pairs::estimate_pairs(&cols, &pairs, opts, miller_madow, check.as_ref(), &ctrl)
    })?;
    let list = PyList::empty(py);
    for r in out {
        match r {
            Ok(p) => {
                let d = PyDict::new(py);
                d.set_item("mean", p.mean)?;
                d.set_item("std", p.std)?;
                d.set_item("values", p.values)?;
                d.set_item("full_value", p.full_value)?;
                d.set_item("bias_correction", p.bias_correction)?;
                d.set_item("n_components", p.n_components)?;
                d.set_item("warnings", warnings_list(py, &p.warnings)?)?;
                d.set_item("transform", p.transform.map(|f| f.name()))?;
                d.set_item(
                    "check",
                    p.check.map(|c| {
                        let draws = c.ksg_model.iter().sum::<f64>() / c.ksg_model.len() as f64;
                        (c.statistic, c.threshold, c.ksg_data, draws)
                    }),
                )?;
                d.set_item("check_error", p.check_error)?;
                list.append(d)?;
            }
            Err(e) => list.append(e.to_string())?,
        }
    }
    Ok(list)
}

/// The Python module `gmmi._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Control>()?;
    m.add_class::<Mixture>()?;
    m.add_class::<Options>()?;
    m.add_class::<PyWarningKind>()?;
    m.add_function(wrap_pyfunction!(preset, m)?)?;
    m.add_function(wrap_pyfunction!(simd_variant, m)?)?;
    m.add_function(wrap_pyfunction!(folds_for_rows, m)?)?;
    m.add_function(wrap_pyfunction!(folds_min_rows, m)?)?;
    m.add_function(wrap_pyfunction!(column_std, m)?)?;
    m.add_function(wrap_pyfunction!(far_from_median, m)?)?;
    m.add_function(wrap_pyfunction!(column_robust_sd, m)?)?;
    m.add_function(wrap_pyfunction!(summary, m)?)?;
    m.add_function(wrap_pyfunction!(interval, m)?)?;
    m.add_function(wrap_pyfunction!(initial_mixture, m)?)?;
    m.add_function(wrap_pyfunction!(em_step, m)?)?;
    m.add_function(wrap_pyfunction!(fit_check, m)?)?;
    m.add_function(wrap_pyfunction!(data_ksg, m)?)?;
    m.add_function(wrap_pyfunction!(misfit_extension, m)?)?;
    m.add_function(wrap_pyfunction!(check_threshold, m)?)?;
    m.add_function(wrap_pyfunction!(fit_check_categorical, m)?)?;
    m.add_function(wrap_pyfunction!(em_fit, m)?)?;
    m.add_function(wrap_pyfunction!(fit_mixture, m)?)?;
    m.add_function(wrap_pyfunction!(estimate, m)?)?;
    m.add_function(wrap_pyfunction!(apply_transform, m)?)?;
    m.add_function(wrap_pyfunction!(model_quantity, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_categorical, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_discrete, m)?)?;
    m.add_function(wrap_pyfunction!(estimate_pairs, m)?)?;
    m.add("NumericalError", m.py().get_type::<NumericalError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // The core's bounds, so that the Python layer checks against the same numbers.
    m.add("MAX_BOOTSTRAP", gmmi_core::bootstrap::MAX_BOOTSTRAP)?;
    m.add("MAX_MC_SAMPLES", gmmi_core::integrate::MAX_MC_SAMPLES)?;
    m.add("MAX_INITS", gmmi_core::select::MAX_INITS)?;
    m.add("MIN_SCALE", gmmi_core::stats::MIN_SCALE)?;
    m.add("MAX_SCALE", gmmi_core::stats::MAX_SCALE)?;
    // The names the choice options take, from the types that parse them.
    let inits: Vec<&str> = gmmi_core::init::InitMethod::ALL
        .iter()
        .map(|(name, _)| *name)
        .collect();
    m.add("INITS", inits)?;
    m.add("INTEGRALS", INTEGRALS.to_vec())?;
    m.add("SELECTIONS", gmmi_core::select::Metric::NAMES.to_vec())?;
    m.add("TRANSFORMS", gmmi_core::transform::TransformOption::names())?;
    Ok(())
}
