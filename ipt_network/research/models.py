r"""The mixed-effects models researchers publish, fitted with statsmodels.

Two models of PHQ-9 against the time-varying network measures of
:func:`ipt_network.research.panel.session_panel` (mean support, mean
closeness, mean conflict and size of the map), each fitted on the whole
cohort and on the clients of each problem area (a client with two areas is in
both areas' fits):

**growth** -- PHQ-9 over sessions, with a random intercept and a random slope
for session per client (``statsmodels`` ``MixedLM``, REML)::

    phq9 ~ session + support + closeness + conflict + size,
    re_formula = "~session", groups = client_id

A measure's coefficient is the PHQ-9 points that go with one more point of
the measure at the same session, given the client's own level and slope over
sessions.

**lagged** -- the within-person lagged model: the change of each measure from
session t-1 to t against PHQ-9 at session t+1, the change split into the
client's mean change (``between``) and the session's deviation from it
(``within``), with a random intercept per client::

    phq9_next ~ session + d_support_within + d_support_between
                + d_closeness_within + d_closeness_between
                + d_conflict_within + d_conflict_between
                + d_size_within + d_size_between,
    groups = client_id

where, for client i at session t with t-1 and t+1 both recorded,
:math:`d_{x,it} = x_{it} - x_{i,t-1}`, ``d_x_between`` is the mean of
:math:`d_{x,it}` over the client's rows in the fit and ``d_x_within`` is
:math:`d_{x,it}` minus that mean. A ``within`` coefficient says how PHQ-9 at the
next session differs after a change larger than the client's usual one; a
``between`` coefficient compares clients whose networks change differently.

Sessions without a valid PHQ-9 total (3 or more items missing, or not given)
and sessions with nobody on the map are left out of a fit and counted in the
summary. A subset with fewer than :data:`MIN_CLIENTS` clients is not fitted
and is listed as skipped, with the reason.

Validation (tests/test_models.py): ``synthesize(..., support_effect=B)`` is
planted mode, where the generator's own links between support and
improvement are off and each point of mean support above 2 lowers PHQ-9 by B
points, within and between clients. At B = 0.4 and 300 clients the growth
model's ``support`` 95% CI covered -0.4 in 8 of 10 seeds (mean estimate
-0.34; item drawing and the floor at 0 attenuate it); at B = 0 its p was
below 0.05 in 2 of 20 cohorts of 60 clients (4 of 40), within the binomial
bound. The plain generator (no ``support_effect``) links support gains to
improvement on purpose, so it is not a null cohort.

These are observational associations in the data, not causal effects. Every
warning statsmodels gives (a fit that did not converge, a variance on the
boundary) is caught and recorded: ``converged`` is false in the table and the
summary names the warning; nothing is raised.

Examples
--------
>>> from ipt_network.io.synth import synthesize
>>> from ipt_network.research.panel import session_panel
>>> results = fit_models(session_panel(synthesize(12, seed=3)), areas=())
>>> sorted(results.table["model"].unique())
['growth', 'lagged']
>>> results.table.query("model == 'growth'")["term"].tolist()
['Intercept', 'session', 'support', 'closeness', 'conflict', 'size']
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
from tqdm import tqdm  # not tqdm.auto: no widget warning in notebooks

from ipt_network.errors import BadArgument, DriverMissing
from ipt_network.names import PROBLEM_AREAS
from ipt_network.research.panel import MEASURES, area_clients

__all__ = [
    "TABLE_COLUMNS",
    "MIN_CLIENTS",
    "MODELS",
    "ModelResults",
    "fit_models",
    "growth_formula",
    "lagged_formula",
    "lagged_frame",
]

#: Columns of the coefficient table, in order.
TABLE_COLUMNS: Final = (
    "model",
    "subset",
    "term",
    "coef",
    "se",
    "ci_low",
    "ci_high",
    "p",
    "n_obs",
    "n_clients",
    "converged",
)
#: The fewest clients a subset needs to be fitted.
MIN_CLIENTS: Final = 10
#: The models, in the order they are fitted.
MODELS: Final = ("growth", "lagged")
_OVERALL: Final = "all"
_INSTALL: Final = "pip install 'ipt-network[research]'"


def growth_formula() -> str:
    """The fixed part of the growth model.

    Examples
    --------
    >>> growth_formula()
    'phq9 ~ session + support + closeness + conflict + size'
    """
    return "phq9 ~ " + " + ".join(("session", *MEASURES))


def lagged_formula() -> str:
    """The fixed part of the lagged within-person model.

    Examples
    --------
    >>> lagged_formula()[:50]
    'phq9_next ~ session + d_support_within + d_support'
    """
    terms = [f"d_{m}_{part}" for m in MEASURES for part in ("within", "between")]
    return "phq9_next ~ " + " + ".join(["session", *terms])


def _usable(panel: pd.DataFrame) -> pd.DataFrame:
    """Rows with a PHQ-9 total and somebody on the map, PHQ-9 as float."""
    keep = panel["phq9"].notna() & panel["support"].notna()
    rows = panel.loc[keep.to_numpy(dtype=bool)].copy()
    rows["phq9"] = rows["phq9"].astype(np.float64)
    rows["client_id"] = rows["client_id"].astype(str)
    return rows.reset_index(drop=True)


def lagged_frame(panel: pd.DataFrame) -> pd.DataFrame:
    """The rows of the lagged model: session t with the change from t-1 and PHQ-9 at t+1.

    A row needs sessions t-1 and t+1 of the same client, somebody on the map
    at t-1 and t, and a PHQ-9 total at t+1.

    Examples
    --------
    >>> panel = pd.DataFrame({"client_id": ["a"] * 4, "session": [1, 2, 3, 4],
    ...     "phq9": pd.array([20, 18, 15, 14], dtype="Int64"),
    ...     "support": [1.0, 2.0, 2.5, 3.0], "closeness": 2.0, "conflict": 1.0, "size": 5})
    >>> frame = lagged_frame(panel)
    >>> frame[["session", "d_support", "d_support_within", "d_support_between", "phq9_next"]]
       session  d_support  d_support_within  d_support_between  phq9_next
    0        2        1.0              0.25               0.75       15.0
    1        3        0.5             -0.25               0.75       14.0
    """
    rows = panel.sort_values(["client_id", "session"]).reset_index(drop=True)
    by = rows.groupby("client_id", sort=False)
    prev_session = by["session"].shift(1)
    next_session = by["session"].shift(-1)
    out = pd.DataFrame(
        {
            "client_id": rows["client_id"].astype(str),
            "session": rows["session"],
            "phq9_next": by["phq9"].shift(-1).astype("Float64").astype(np.float64),
        }
    )
    for m in MEASURES:
        out[f"d_{m}"] = rows[m].astype(np.float64) - by[m].shift(1).astype(np.float64)
    keep = (
        (prev_session == rows["session"] - 1)
        & (next_session == rows["session"] + 1)
        & out["phq9_next"].notna()
        & out[[f"d_{m}" for m in MEASURES]].notna().all(axis=1)
    )
    out = out.loc[keep].reset_index(drop=True)
    for m in MEASURES:
        between = out.groupby("client_id")[f"d_{m}"].transform("mean")
        out[f"d_{m}_within"] = out[f"d_{m}"] - between
        out[f"d_{m}_between"] = between
    return out


@dataclass(frozen=True)
class _Fit:
    """One fit's outcome: table rows, or the reason it was skipped."""

    model: str
    subset: str
    rows: pd.DataFrame | None = None
    skipped: str | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelResults:
    """The coefficient table and the plain-text summary of :func:`fit_models`.

    Attributes
    ----------
    table : DataFrame
        One row per fixed-effect term of each fitted model and subset, columns
        :data:`TABLE_COLUMNS`.
    summary : str
        What was fitted, on how many sessions and clients, the main
        coefficients in words, what was skipped or did not converge, and the
        caveats.
    skipped : list of (model, subset, reason)
        The fits that were not run.
    """

    table: pd.DataFrame
    summary: str
    skipped: list[tuple[str, str, str]] = field(default_factory=list)


def _statsmodels() -> Any:
    """``statsmodels.formula.api``, or :class:`DriverMissing` naming the extra to install."""
    try:
        import statsmodels.formula.api as smf
    except ImportError as exc:
        raise DriverMissing(f"the models need statsmodels: {_INSTALL}") from exc
    return smf


def _fit_one(
    model: str, subset: str, data: pd.DataFrame, formula: str, re_formula: str | None
) -> _Fit:
    """Fit one MixedLM on ``data``; warnings and failures are recorded, never raised."""
    n_clients = int(data["client_id"].nunique())
    if n_clients < MIN_CLIENTS:
        reason = f"{n_clients} client{'' if n_clients == 1 else 's'}, fewer than {MIN_CLIENTS}"
        return _Fit(model, subset, skipped=reason)
    smf = _statsmodels()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            mixed = smf.mixedlm(formula, data, groups=data["client_id"], re_formula=re_formula)
            result = mixed.fit(reml=True, method=["lbfgs"])
            names = list(result.fe_params.index)
            ci = np.asarray(result.conf_int().loc[names], dtype=np.float64)
            coef = result.fe_params.to_numpy(dtype=np.float64)
            se = result.bse_fe.to_numpy(dtype=np.float64)
            p = result.pvalues.loc[names].to_numpy(dtype=np.float64)
        except (ValueError, np.linalg.LinAlgError, ArithmeticError) as exc:
            return _Fit(model, subset, skipped=f"the fit failed ({type(exc).__name__})")
    problems = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    converged = bool(result.converged) and not any(
        issubclass(w.category, _convergence_warnings()) for w in caught
    )
    if not result.converged and not problems:
        problems = ("the optimiser did not converge",)
    rows = pd.DataFrame(
        {
            "model": model,
            "subset": subset,
            "term": names,
            "coef": coef,
            "se": se,
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
            "p": p,
            "n_obs": int(result.nobs),
            "n_clients": n_clients,
            "converged": converged,
        }
    )
    return _Fit(model, subset, rows=rows, problems=problems)


def _convergence_warnings() -> tuple[type[Warning], ...]:
    """Warning classes that mean an estimate cannot be trusted."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    return (ConvergenceWarning, RuntimeWarning)


def _subsets(
    panel: pd.DataFrame, areas: Iterable[str]
) -> list[tuple[str, Callable[[pd.DataFrame], pd.DataFrame]]]:
    """The overall subset and one per area, as functions of a model frame."""

    def clients_of(area: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
        ids = set(panel.loc[area_clients(panel, area).to_numpy(), "client_id"].astype(str))
        return lambda frame: frame.loc[frame["client_id"].isin(ids)].reset_index(drop=True)

    return [(_OVERALL, lambda frame: frame), *((a, clients_of(a)) for a in areas)]


def fit_models(
    panel: pd.DataFrame,
    *,
    areas: Sequence[str] = PROBLEM_AREAS,
    models: Sequence[str] = MODELS,
    progress: bool = False,
) -> ModelResults:
    """Fit the growth and the lagged within-person model, overall and by problem area.

    Parameters
    ----------
    panel : DataFrame
        A session panel (:func:`ipt_network.research.panel.session_panel`).
    areas : sequence of str, default every problem area
        The areas to fit separately, besides the whole cohort (``"all"``).
    models : sequence of str, default :data:`MODELS`
        Which models to fit: ``"growth"``, ``"lagged"`` or both.
    progress : bool, default False
        Show a progress bar over the fits on standard error.

    Returns
    -------
    ModelResults
        The coefficient table (:data:`TABLE_COLUMNS`) and the summary.

    Raises
    ------
    DriverMissing
        When statsmodels is not installed (``pip install 'ipt-network[research]'``).
    ValueError
        When ``models`` names an unknown model.
    """
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        raise BadArgument(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    _statsmodels()
    usable = _usable(panel)
    lagged = lagged_frame(usable)
    specs = {
        "growth": (usable, growth_formula(), "~session"),
        "lagged": (lagged, lagged_formula(), None),
    }
    subsets = _subsets(panel, areas)
    jobs = [(m, name, pick) for m in MODELS if m in models for name, pick in subsets]
    fits = []
    for model, name, pick in tqdm(jobs, desc="fits", unit="fit", disable=not progress):
        data, formula, re_formula = specs[model]
        fits.append(_fit_one(model, name, pick(data), formula, re_formula))
    parts = [f.rows for f in fits if f.rows is not None]
    table = pd.concat(parts, ignore_index=True) if parts else _empty_table()
    skipped = [(f.model, f.subset, f.skipped) for f in fits if f.skipped is not None]
    counts = {
        "sessions": len(panel),
        "no_phq9": int(panel["phq9"].isna().sum()),
        "empty_map": int((panel["phq9"].notna() & panel["support"].isna()).sum()),
        "lagged": len(lagged),
    }
    return ModelResults(table, _summary(table, fits, counts), skipped)


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})


_WORDS: Final = {
    "session": "each later session",
    "support": "one more point of mean support (0-4)",
    "closeness": "one more point of mean closeness (1-3)",
    "conflict": "one more point of mean conflict (0-4)",
    "size": "one more person on the map",
}


def _in_words(row: pd.Series) -> str:
    """One coefficient as a sentence."""
    term = str(row["term"])
    unit = 1.0
    if term.startswith("d_"):
        measure, part = term[2:].rsplit("_", 1)
        if part == "within":
            what = f"a change in {measure} one point larger than the client's usual change"
        else:  # a client's mean change per session is small: state it per BETWEEN_UNIT
            unit = BETWEEN_UNIT
            what = f"clients whose {measure} changes {unit:g} point more per session on average"
    else:
        what = _WORDS.get(term, term)
    coef, low, high = (unit * float(row[c]) for c in ("coef", "ci_low", "ci_high"))
    direction = "lower" if coef < 0 else "higher"
    p = "p < 0.001" if row["p"] < 0.001 else f"p = {row['p']:.3f}"
    return f"{what}: PHQ-9 {abs(coef):.2f} points {direction} (95% CI {low:.2f} to {high:.2f}, {p})"


#: The unit in which the summary states a lagged ``d_x_between`` term: clients'
#: mean change per session differs by tenths of a point, not by whole points.
#: coefficients.csv keeps the per-point coefficient.
BETWEEN_UNIT: Final = 0.1

#: The terms the summary states for a problem area (every term is in the table).
_MAIN_TERMS: Final = ("support", "d_support_within")


def _summary(table: pd.DataFrame, fits: list[_Fit], counts: dict[str, int]) -> str:
    """The plain-text summary of every fit."""
    lines = [
        "Mixed-effects models of PHQ-9 and the network (statsmodels MixedLM, REML)",
        "",
        f"growth: {growth_formula()}; random intercept and session slope per client.",
        f"lagged: {lagged_formula()}; random intercept per client.",
        "  d_x = x at session t minus x at t-1; outcome = PHQ-9 at t+1;",
        "  d_x_between = the client's mean d_x, d_x_within = d_x minus that mean.",
        "Measures are means over the people on the map (support 0-4, closeness 1-3,",
        "conflict 0-4) and size = people on the map. By problem area, the summary",
        "states the support term; coefficients.csv holds every term.",
        "",
        f"Sessions: {counts['sessions']:,}; left out: {counts['no_phq9']:,} without a valid"
        f" PHQ-9 total, {counts['empty_map']:,} with nobody on the map."
        f" Lagged rows (t-1, t, t+1 all recorded): {counts['lagged']:,}.",
    ]
    if counts["sessions"] == counts["no_phq9"]:
        lines += ["", "No session has a PHQ-9 total; nothing to fit."]
        fits = []
    for f in fits:
        lines.append("")
        if f.rows is None:
            lines.append(f"{f.model} / {f.subset}: skipped: {f.skipped}.")
            continue
        first = f.rows.iloc[0]
        state = "converged" if bool(first["converged"]) else "DID NOT CONVERGE CLEANLY"
        lines.append(
            f"{f.model} / {f.subset}: {int(first['n_obs']):,} sessions of "
            f"{int(first['n_clients']):,} clients; {state}."
        )
        shown = _MAIN_TERMS if f.subset != _OVERALL else None
        lines += [
            f"  {_in_words(row)}"
            for _, row in f.rows.iterrows()
            if row["term"] != "Intercept" and (shown is None or row["term"] in shown)
        ]
        lines += [f"  warning: {p}" for p in f.problems]
    lines += [
        "",
        "Caveats: these are observational associations, not causal effects; a",
        "network measure and PHQ-9 may both follow a third thing (the therapy itself,",
        "life events). Fits that did not converge cleanly should not be reported",
        "without a check. The p-values are not corrected for the many terms and subsets.",
        f"Lagged between-client terms are stated per {BETWEEN_UNIT:g} point of mean change per",
        "session (coefficients.csv: per point); they rest on one mean per client, so",
        "their CIs are wide and they compare clients, not sessions.",
    ]
    return "\n".join(lines) + "\n"
