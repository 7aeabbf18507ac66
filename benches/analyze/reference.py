#!/usr/bin/env python3
"""pandas + statsmodels side of the `trialdesk analyze` benchmark.

    python benches/analyze/reference.py --input /tmp/trialdesk-bench/analyze-100k.csv

The same outcome analysis as `trialdesk analyze --input FILE --out DIR
--instrument phq9 --instrument ucla3 --baseline-week 0 --primary-week 12
--reference-arm control --covariate site --covariate age`, timed in two phases:

Phase A, "everything but the mixed model":
  reading the CSV, then for each instrument
  * descriptives per arm x week: n, mean, sd (ddof=1), median, q1, q3 (linear
    interpolation), min, max
  * the same statistics for the change from baseline at each post-baseline week
  * ANCOVA at each post-baseline week, statsmodels OLS
      score ~ C(arm, Treatment('control')) + baseline + C(site) + age
    on participants with both scores (and the covariates)
  * effect sizes at each post-baseline week: Cohen's d (pooled SD) and Hedges' g
    with normal-approximation 95 % CIs
  * completion per arm x week (completed / randomised)
Phase B, "mixed model": for each instrument
      MixedLM.from_formula(score ~ C(arm, Treatment('control')) * C(week)
                                   + baseline + C(site) + age,
                           groups=participant_id).fit(reml=True)
  (statsmodels' default optimiser) on every post-baseline row whose score,
  baseline and covariates are present, and the arm effect at each week as a
  contrast on cov_params().

Prints one JSON object on stdout: participants, rows, seconds_without_mixed,
seconds_mixed, seconds_total (both phases, wall time measured in-process;
interpreter start-up and imports are not included) and the CPU seconds of each
phase, the arm effect at the primary week per
instrument from the ANCOVA and from the mixed model, fit diagnostics and the
library versions. --results FILE also writes every table (untimed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

# statsmodels 0.15 can use patsy or formulaic; use patsy, as
# analysis/validation/make_expected.py does, so the term names match.
os.environ.setdefault("SM_FORMULA_ENGINE", "patsy")

import numpy as np
import pandas as pd
import scipy
import scipy.stats
import statsmodels
import statsmodels.formula.api as smf

Z975 = float(scipy.stats.norm.ppf(0.975))


def fnum(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({k: (fnum(v) if isinstance(v, (float, np.floating)) else
                        int(v) if isinstance(v, (np.integer,)) else v) for k, v in rec.items()})
    return out


# ---------------------------------------------------------------------------
# Phase A
# ---------------------------------------------------------------------------

def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={
        "participant_id": "str", "arm": "str", "week": "int64", "instrument": "str",
        "total_score": "float64", "site": "str", "age": "float64", "group_id": "str",
    })


def participant_table(raw: pd.DataFrame) -> pd.DataFrame:
    cols = ["participant_id", "arm", "site", "age", "group_id"]
    return raw[cols].drop_duplicates("participant_id").set_index("participant_id").sort_index()


def describe(long: pd.DataFrame, value: str) -> pd.DataFrame:
    """n, mean, sd, median, q1, q3, min, max of `value` per arm x week (NaN dropped)."""
    g = long.dropna(subset=[value]).groupby(["arm", "week"])[value]
    out = g.agg(n="count", mean="mean", sd="std", median="median", min="min", max="max")
    out["q1"] = g.quantile(0.25)  # pandas' default interpolation is linear
    out["q3"] = g.quantile(0.75)
    out["n"] = out["n"].astype(np.int64)
    return out[["n", "mean", "sd", "median", "q1", "q3", "min", "max"]].reset_index()


def ancova(wide, participants, w, bw, ref):
    data = participants[["arm", "site", "age"]].copy()
    data["score"] = wide[w]
    data["baseline"] = wide[bw]
    data = data.dropna(subset=["score", "baseline", "site", "age"])
    res = smf.ols(f"score ~ C(arm, Treatment('{ref}')) + baseline + C(site) + age",
                  data=data).fit()
    ci = res.conf_int(alpha=0.05)
    rows = []
    for name in res.params.index:
        if name.startswith("C(arm") and ":" not in name:
            arm = name.split("[T.", 1)[1].rstrip("]")
            rows.append({"week": int(w), "arm": arm, "estimate": fnum(res.params[name]),
                         "se": fnum(res.bse[name]), "ci_low": fnum(ci.loc[name, 0]),
                         "ci_high": fnum(ci.loc[name, 1]), "p_value": fnum(res.pvalues[name]),
                         "df_resid": int(round(res.df_resid)), "n": int(res.nobs)})
    return rows


def effect_sizes(wide, arm_of, w, ref, arms):
    r = wide.loc[arm_of == ref, w].dropna().to_numpy()
    out = []
    for a in arms:
        if a == ref:
            continue
        t = wide.loc[arm_of == a, w].dropna().to_numpy()
        n1, n2 = len(t), len(r)
        md = float(np.mean(t) - np.mean(r))
        pooled = math.sqrt(((n1 - 1) * np.var(t, ddof=1) + (n2 - 1) * np.var(r, ddof=1))
                           / (n1 + n2 - 2))
        d = md / pooled
        j = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)
        g = j * d
        se_d = math.sqrt((n1 + n2) / (n1 * n2) + d * d / (2.0 * (n1 + n2)))
        se_g = j * se_d
        out.append({"week": int(w), "arm": a, "n_arm": n1, "n_reference": n2,
                    "mean_difference": md, "pooled_sd": pooled,
                    "cohens_d": d, "cohens_d_ci_low": d - Z975 * se_d,
                    "cohens_d_ci_high": d + Z975 * se_d,
                    "hedges_g": g, "hedges_g_ci_low": g - Z975 * se_g,
                    "hedges_g_ci_high": g + Z975 * se_g})
    return out


def phase_a(raw, instruments, bw, ref):
    participants = participant_table(raw)
    arm_of = participants["arm"]
    arms = sorted(arm_of.unique())
    randomised = arm_of.value_counts()
    results, wides = {}, {}
    for inst in instruments:
        d = raw[raw["instrument"] == inst]
        wide = d.pivot(index="participant_id", columns="week", values="total_score")
        wide = wide.reindex(participants.index)  # absent rows count as missing
        weeks = sorted(int(w) for w in wide.columns)
        post = [w for w in weeks if w != bw]
        wides[inst] = wide

        long = wide.stack(future_stack=True).rename("score").reset_index()
        long["arm"] = arm_of.reindex(long["participant_id"]).to_numpy()
        change = wide[post].sub(wide[bw], axis=0)
        change_long = change.stack(future_stack=True).rename("change").reset_index()
        change_long["arm"] = arm_of.reindex(change_long["participant_id"]).to_numpy()

        done = wide.notna().groupby(arm_of).sum()
        completion = []
        for a in arms:
            for w in weeks:
                c = int(done.loc[a, w])
                completion.append({"arm": a, "week": w, "randomised": int(randomised[a]),
                                   "completed": c, "rate": c / int(randomised[a])})

        results[inst] = {
            "descriptives": records(describe(long, "score")),
            "change_from_baseline": records(describe(change_long, "change")),
            "ancova": [row for w in post for row in ancova(wide, participants, w, bw, ref)],
            "effect_sizes": [row for w in post for row in effect_sizes(wide, arm_of, w, ref, arms)],
            "completion": completion,
        }
    return participants, wides, results


# ---------------------------------------------------------------------------
# Phase B
# ---------------------------------------------------------------------------

def mixed_model(wide, participants, bw, ref):
    post = [int(w) for w in wide.columns if int(w) != bw]
    data = wide[post].stack(future_stack=True).rename("score").reset_index()
    data = data.join(participants[["arm", "site", "age"]], on="participant_id")
    data["baseline"] = wide[bw].reindex(data["participant_id"]).to_numpy()
    data = data.dropna(subset=["score", "baseline", "site", "age"])
    data = data.sort_values(["participant_id", "week"]).reset_index(drop=True)

    formula = (f"score ~ C(arm, Treatment('{ref}')) * C(week) + baseline + C(site) + age")
    model = smf.mixedlm(formula, data, groups=data["participant_id"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(reml=True)

    fe = list(res.fe_params.index)
    beta = res.fe_params.to_numpy()
    cov = res.cov_params().loc[fe, fe].to_numpy()
    arm_terms = [n for n in fe if n.startswith("C(arm") and ":" not in n]
    by_week = []
    for name in arm_terms:
        arm = name.split("[T.", 1)[1].rstrip("]")
        for w in post:
            c = np.zeros(len(fe))
            c[fe.index(name)] = 1.0
            inter = f"{name}:C(week)[T.{w}]"
            if inter in fe:  # absent for the reference (first post-baseline) week
                c[fe.index(inter)] = 1.0
            est = float(c @ beta)
            se = float(math.sqrt(c @ cov @ c))
            by_week.append({"week": w, "arm": arm, "estimate": est, "se": se,
                            "ci_low": est - Z975 * se, "ci_high": est + Z975 * se,
                            "p_value": float(2.0 * scipy.stats.norm.sf(abs(est / se)))})
    return {
        "n_obs": int(len(data)), "n_participants": int(data["participant_id"].nunique()),
        "arm_effect_by_week": by_week,
        "variance_components": {"participant": float(res.cov_re.iloc[0, 0]),
                                "residual": float(res.scale)},
        "reml_log_likelihood": float(res.llf),
        "converged": bool(res.converged),
        "warnings": sorted({f"{type(c.message).__name__}: {c.message}" for c in caught}),
    }


# ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, required=True)
    ap.add_argument("--instrument", action="append",
                    help="repeatable; default: every instrument in the file")
    ap.add_argument("--baseline-week", type=int, default=0)
    ap.add_argument("--primary-week", type=int, default=12)
    ap.add_argument("--reference-arm", default="control")
    ap.add_argument("--results", type=Path, help="also write every table here (untimed)")
    args = ap.parse_args(argv)
    bw, ref = args.baseline_week, args.reference_arm

    t0, c0 = time.perf_counter(), time.process_time()
    raw = read(args.input)
    instruments = args.instrument or sorted(raw["instrument"].unique())
    participants, wides, results = phase_a(raw, instruments, bw, ref)
    t1, c1 = time.perf_counter(), time.process_time()
    mixed_seconds = {}
    for inst in instruments:
        s = time.perf_counter()
        results[inst]["mixed_model"] = mixed_model(wides[inst], participants, bw, ref)
        mixed_seconds[inst] = round(time.perf_counter() - s, 3)
    t2, c2 = time.perf_counter(), time.process_time()

    estimates = {}
    for inst in instruments:
        anc = [r for r in results[inst]["ancova"] if r["week"] == args.primary_week]
        mm = results[inst]["mixed_model"]
        mix = [r for r in mm["arm_effect_by_week"] if r["week"] == args.primary_week]
        estimates[inst] = {
            "week": args.primary_week,
            "ancova": {k: anc[0][k] for k in ("arm", "estimate", "se", "ci_low", "ci_high", "n")}
            if anc else None,
            "mixed": {k: mix[0][k] for k in ("arm", "estimate", "se", "ci_low", "ci_high")}
            if mix else None,
            "mixed_n_obs": mm["n_obs"],
            "mixed_converged": mm["converged"],
            "mixed_reml_log_likelihood": mm["reml_log_likelihood"],
            "mixed_variance_components": mm["variance_components"],
            "mixed_warnings": mm["warnings"],
        }

    summary = {
        "tool": "pandas+statsmodels",
        "input": str(args.input),
        "participants": int(len(participants)),
        "rows": int(len(raw)),
        "seconds_without_mixed": round(t1 - t0, 3),
        "seconds_mixed": round(t2 - t1, 3),
        "seconds_total": round(t2 - t0, 3),
        "seconds_mixed_by_instrument": mixed_seconds,
        # CPU time of this process (all threads): less sensitive than wall time
        # to other work on the machine.
        "cpu_seconds_without_mixed": round(c1 - c0, 3),
        "cpu_seconds_mixed": round(c2 - c1, 3),
        "estimates": estimates,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "pandas": pd.__version__, "scipy": scipy.__version__,
                     "statsmodels": statsmodels.__version__,
                     "formula_engine": os.environ.get("SM_FORMULA_ENGINE")},
    }
    if args.results:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        with args.results.open("w") as f:
            json.dump({"summary": summary, "instruments": results}, f, indent=1, allow_nan=False)
            f.write("\n")
    json.dump(summary, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
