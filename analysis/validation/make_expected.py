#!/usr/bin/env python3
"""Build the analysis crate's test data and the figures its tests must match.

Run from the repository root, inside the pinned venv (see README.md):

    python analysis/validation/make_expected.py

It writes, into analysis/tests/data/:
  two_arm.csv, three_arm.csv                 simulated trial outcome data
  expected_two_arm.json                      two_arm, covariates site+age
  expected_two_arm_groups.json               two_arm, partially nested groups
  expected_three_arm.json                    three_arm, covariate stratum
and, beside this script, cross_check.json (statsmodels vs the independent REML).

Everything is deterministic: one numpy Generator seeded with SEED draws the
data, and the analysis reads the CSV files back (so the expected values are
computed from exactly the text the Rust side parses, not from the floats in
memory).  Every REML fit is cross-checked against an independent dense-matrix
REML written below with numpy/scipy; the script stops if they disagree.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import sys
import warnings
from pathlib import Path

# statsmodels 0.15 can use patsy or formulaic; pin patsy so the term names
# (and the treatment coding) are the ones described in README.md.
os.environ.setdefault("SM_FORMULA_ENGINE", "patsy")

import numpy as np
import pandas as pd
import scipy
import scipy.linalg
import scipy.optimize
import scipy.stats
import statsmodels
import statsmodels.formula.api as smf
from statsmodels.regression.mixed_linear_model import MixedLMParams

SEED = 20250611
Z975 = float(scipy.stats.norm.ppf(0.975))  # 1.959963984540054

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "analysis" / "tests" / "data"

# A fit from statsmodels is accepted when the independent REML agrees this
# closely (estimates, SEs, variance components, log-likelihood).
CROSS_CHECK_TOL = 1e-6


# ---------------------------------------------------------------------------
# Data generation
# ---------------------------------------------------------------------------

def clamp_round(x: float, lo: int, hi: int) -> int:
    """Questionnaire totals are integers within the instrument's range."""
    return int(min(hi, max(lo, round(x))))


def make_two_arm(rng: np.random.Generator) -> list[dict]:
    n = 160
    ids = [f"P{i:03d}" for i in range(1, n + 1)]
    # Exactly 1:1, in random order (as a permuted-block randomisation gives).
    arms = np.array(["control"] * (n // 2) + ["intervention"] * (n // 2))
    rng.shuffle(arms)
    site = rng.choice(["north", "south", "west"], size=n, p=[0.40, 0.35, 0.25])
    age = np.clip(rng.normal(46.0, 13.0, n), 18.0, 85.0).round(1)
    newly = rng.choice(["yes", "no"], size=n, p=[0.3, 0.7])
    # Two participants (one per arm) have no recorded age, so the
    # "no missing covariate" rule of the ANCOVA and mixed model is exercised.
    age_missing = {
        int(rng.choice(np.flatnonzero(arms == "control"))),
        int(rng.choice(np.flatnonzero(arms == "intervention"))),
    }

    # Support groups of 8-10 for the intervention arm only (partially nested).
    group_sizes = [8, 9, 10, 8, 9, 10, 8, 9, 9]  # 80 participants, 9 groups
    interv = rng.permutation(np.flatnonzero(arms == "intervention"))
    group_of = {}
    start = 0
    for g, size in enumerate(group_sizes, start=1):
        for i in interv[start:start + size]:
            group_of[int(i)] = g
        start += size
    assert start == len(interv)
    moderator_of_group = {g: f"M{(g - 1) % 3 + 1}" for g in range(1, len(group_sizes) + 1)}

    weeks = [0, 6, 12, 24]
    # Per instrument: baseline mean, participant SD, group SD, residual SD,
    # secular trend (both arms), extra intervention effect, covariate effects,
    # and range.
    spec = {
        "phq9": dict(mu=10.0, sd_p=3.0, sd_g=1.5, sd_e=2.5,
                     trend={0: 0.0, 6: -0.8, 12: -1.2, 24: -1.5},
                     effect={0: 0.0, 6: -1.5, 12: -2.5, 24: -3.0},
                     site={"north": 0.0, "south": 0.8, "west": -0.6},
                     age=0.04, newly=1.2, lo=0, hi=27),
        "ucla3": dict(mu=6.0, sd_p=1.0, sd_g=0.6, sd_e=0.8,
                      trend={0: 0.0, 6: -0.2, 12: -0.3, 24: -0.3},
                      effect={0: 0.0, 6: -0.4, 12: -0.7, 24: -0.9},
                      site={"north": 0.0, "south": 0.2, "west": -0.1},
                      age=0.01, newly=0.3, lo=3, hi=9),
    }
    u = {k: rng.normal(0.0, s["sd_p"], n) for k, s in spec.items()}
    g_eff = {k: rng.normal(0.0, s["sd_g"], len(group_sizes) + 1) for k, s in spec.items()}

    # Missingness.  Drop-out is monotone: a participant who drops before a
    # visit misses it and every later one.  Cumulative drop-out 6/10/19 % plus
    # intermittent missed visits gives roughly 10/15/25 % missing at 6/12/24.
    # A missed baseline visit (4 %, plus 1 % blank forms) does not end participation.
    drop_u = rng.random(n)
    dropped_before = np.where(drop_u < 0.06, 6, np.where(drop_u < 0.10, 12,
                              np.where(drop_u < 0.19, 24, 99)))
    intermittent = {0: 0.04, 6: 0.03, 12: 0.03, 24: 0.05}

    rows = []
    for i, pid in enumerate(ids):
        g = group_of.get(i)
        for w in weeks:
            visit_missing = (w >= dropped_before[i]) or (rng.random() < intermittent[w])
            for inst, s in spec.items():
                # Occasionally a single questionnaire is left blank at a visit.
                form_missing = rng.random() < 0.01
                mean = (s["mu"] + u[inst][i] + s["trend"][w]
                        + s["site"][site[i]] + s["age"] * (age[i] - 46.0)
                        + (s["newly"] if newly[i] == "yes" else 0.0))
                if arms[i] == "intervention":
                    mean += s["effect"][w]
                    if w != 0:
                        # Groups meet after randomisation: no effect at baseline.
                        mean += g_eff[inst][g]
                y = mean + rng.normal(0.0, s["sd_e"])
                score = "" if (visit_missing or form_missing) else clamp_round(y, s["lo"], s["hi"])
                rows.append({
                    "participant_id": pid, "arm": str(arms[i]), "week": w,
                    "instrument": inst, "total_score": score,
                    "group_id": f"G{g}" if g else "",
                    "moderator_id": moderator_of_group[g] if g else "",
                    "site": str(site[i]),
                    "age": "" if i in age_missing else f"{age[i]:.1f}",
                    "newly_diagnosed": str(newly[i]),
                })

    # A few missed post-baseline visits are absent from the export altogether
    # (rather than present with an empty score); both instruments go.
    filled = {(r["participant_id"], r["week"]) for r in rows if r["total_score"] != ""}
    missed_visits = sorted({(r["participant_id"], r["week"]) for r in rows
                            if r["week"] != 0} - filled)
    pick = rng.choice(len(missed_visits), size=6, replace=False)
    absent = set()
    seen_pids = set()
    for k in sorted(pick):
        pid, w = missed_visits[k]
        if pid not in seen_pids:  # never remove every row of a participant
            absent.add((pid, w))
            seen_pids.add(pid)
    rows = [r for r in rows if (r["participant_id"], r["week"]) not in absent]
    return rows


def make_three_arm(rng: np.random.Generator) -> list[dict]:
    n = 90
    ids = [f"P{i:03d}" for i in range(1, n + 1)]
    arms = np.array(["a_control"] * 30 + ["b_online"] * 30 + ["c_inperson"] * 30)
    rng.shuffle(arms)
    stratum = rng.choice(["s1", "s2"], size=n)
    weeks = [0, 8, 16]
    trend = {0: 0.0, 8: -0.7, 16: -1.0}
    effect = {"a_control": {0: 0.0, 8: 0.0, 16: 0.0},
              "b_online": {0: 0.0, 8: -1.0, 16: -2.0},
              "c_inperson": {0: 0.0, 8: -1.5, 16: -3.0}}
    u = rng.normal(0.0, 3.0, n)
    p_missing = {0: 0.03, 8: 0.08, 16: 0.15}
    rows = []
    for i, pid in enumerate(ids):
        for w in weeks:
            y = (11.0 + u[i] + trend[w] + effect[arms[i]][w]
                 + (1.0 if stratum[i] == "s2" else 0.0) + rng.normal(0.0, 2.5))
            missing = rng.random() < p_missing[w]
            rows.append({
                "participant_id": pid, "arm": str(arms[i]), "week": w,
                "instrument": "gad7",
                "total_score": "" if missing else clamp_round(y, 0, 21),
                "group_id": "", "moderator_id": "", "stratum": str(stratum[i]),
            })
    # Two missed week-16 visits are absent from the file.
    missed = [k for k, r in enumerate(rows) if r["total_score"] == "" and r["week"] == 16]
    drop = set(rng.choice(missed, size=min(2, len(missed)), replace=False).tolist())
    return [r for k, r in enumerate(rows) if k not in drop]


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


# ---------------------------------------------------------------------------
# Reading back, as the Rust side does
# ---------------------------------------------------------------------------

def load(path: Path) -> pd.DataFrame:
    # Read everything as text so "" stays "" (pandas would otherwise guess).
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw["week"] = raw["week"].astype(int)
    raw["score"] = [float(s) if s != "" else np.nan for s in raw["total_score"]]
    return raw


def is_numeric_column(values) -> bool:
    """A covariate is numeric when every non-empty value parses as a number."""
    for v in values:
        if v == "":
            continue
        try:
            float(v)
        except ValueError:
            return False
    return True


def participant_table(raw: pd.DataFrame, covariates: list[str]) -> tuple[pd.DataFrame, dict]:
    """One row per participant: arm, group_id and covariates (constant per participant)."""
    cols = ["arm", "group_id"] + covariates
    per = raw.groupby("participant_id")[cols].agg(lambda s: s.iloc[0])
    nunique = raw.groupby("participant_id")[cols].nunique()
    assert (nunique <= 1).all().all(), "participant attributes must be constant"
    kinds = {}
    for c in covariates:
        numeric = is_numeric_column(raw[c])
        kinds[c] = "numeric" if numeric else "categorical"
        if numeric:
            per[c] = [float(v) if v != "" else np.nan for v in per[c]]
        else:
            per[c] = [v if v != "" else np.nan for v in per[c]]
    return per.sort_index(), kinds


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def fnum(x):
    """A JSON float with full precision, or null for NaN/None."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def summary(values: np.ndarray) -> dict:
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "median": None, "q1": None,
                "q3": None, "min": None, "max": None}
    # numpy's default quantile method is "linear" (R type 7).
    q1, med, q3 = (float(np.quantile(v, q, method="linear")) for q in (0.25, 0.5, 0.75))
    return {"n": n, "mean": fnum(np.mean(v)),
            "sd": fnum(np.std(v, ddof=1)) if n >= 2 else None,
            "median": med, "q1": q1, "q3": q3,
            "min": fnum(np.min(v)), "max": fnum(np.max(v))}


def covariate_terms(data: pd.DataFrame, covariates: list[str], kinds: dict) -> tuple[str, dict]:
    """Formula fragment for the covariates, and each categorical's reference level.

    The reference level is the first level in sorted order among the rows that
    enter the fit."""
    parts, refs = [], {}
    for c in covariates:
        if kinds[c] == "numeric":
            parts.append(c)
        else:
            ref = sorted(data[c].unique())[0]
            refs[c] = ref
            parts.append(f"C({c}, Treatment('{ref}'))")
    return "".join(" + " + p for p in parts), refs


_CAT = re.compile(r"^C\((\w+)(?:, Treatment\('[^']*'\))?\)\[T\.([^\]]+)\]$")


def clean_term(name: str) -> str:
    """patsy names -> the crate's names: Intercept -> intercept,
    C(site, Treatment('north'))[T.south] -> site[south], numeric names unchanged."""
    if name == "Intercept":
        return "intercept"
    parts = name.split(":")
    out = []
    for p in parts:
        m = _CAT.match(p)
        out.append(f"{m.group(1)}[{m.group(2)}]" if m else p)
    return ":".join(out)


# ---------------------------------------------------------------------------
# Independent REML (dense matrices) used to cross-check statsmodels
# ---------------------------------------------------------------------------

class DenseReml:
    """y = Xb + sum_k Z_k u_k + e, u_k ~ N(0, s2 * r_k I), e ~ N(0, s2 I).

    H = I + sum_k r_k Z_k Z_k' (so V = s2 * H).  The variance ratios r_k are
    optimised on the log scale; b and s2 are profiled out:
      b  = (X'H^-1 X)^-1 X'H^-1 y
      s2 = r'H^-1 r / (n - p)
      -2 l_R = (n-p) (1 + log(2 pi s2)) + log|H| + log|X'H^-1 X|
    which is the usual REML log-likelihood without a log|X'X| term.
    """

    def __init__(self, y, X, Zs):
        self.y, self.X, self.Zs = y, X, Zs
        self.n, self.p = X.shape
        self.ZZ = [Z @ Z.T for Z in Zs]

    def parts(self, ratios):
        H = np.eye(self.n)
        for r, ZZ in zip(ratios, self.ZZ):
            H = H + r * ZZ
        cf = scipy.linalg.cho_factor(H, lower=True)
        logdet_h = 2.0 * np.sum(np.log(np.diag(cf[0])))
        hx = scipy.linalg.cho_solve(cf, self.X)
        hy = scipy.linalg.cho_solve(cf, self.y)
        xhx = self.X.T @ hx
        cx = scipy.linalg.cho_factor(xhx, lower=True)
        logdet_xhx = 2.0 * np.sum(np.log(np.diag(cx[0])))
        beta = scipy.linalg.cho_solve(cx, self.X.T @ hy)
        resid = self.y - self.X @ beta
        q = float(resid @ scipy.linalg.cho_solve(cf, resid))
        df = self.n - self.p
        s2 = q / df
        neg2 = df * (1.0 + math.log(2.0 * math.pi * s2)) + logdet_h + logdet_xhx
        return dict(beta=beta, s2=s2, neg2=neg2, xhx=xhx, H=H)

    def objective(self, theta):
        try:
            return self.parts(np.exp(theta))["neg2"]
        except (np.linalg.LinAlgError, ValueError):
            return np.inf

    def gradient(self, theta, h=1e-5):
        theta = np.asarray(theta, dtype=float)
        g = np.zeros_like(theta)
        for k in range(len(theta)):
            e = np.zeros_like(theta)
            e[k] = h
            g[k] = (self.objective(theta + e) - self.objective(theta - e)) / (2 * h)
        return g

    def fit(self, starts):
        best = None
        for s in starts:
            r1 = scipy.optimize.minimize(self.objective, np.asarray(s, float), method="Nelder-Mead",
                                         options=dict(xatol=1e-11, fatol=1e-13, maxiter=20000, maxfev=40000))
            r2 = scipy.optimize.minimize(self.objective, r1.x, method="BFGS",
                                         options=dict(gtol=1e-9, maxiter=2000))
            x = r2.x if r2.fun <= r1.fun else r1.x
            # Newton polish with a finite-difference Hessian: with 1-2
            # parameters this drives the gradient to ~1e-9.
            for _ in range(20):
                g = self.gradient(x)
                if np.max(np.abs(g)) < 1e-9:
                    break
                k = len(x)
                Hs = np.zeros((k, k))
                h = 1e-4
                for j in range(k):
                    e = np.zeros(k)
                    e[j] = h
                    Hs[:, j] = (self.gradient(x + e) - self.gradient(x - e)) / (2 * h)
                Hs = 0.5 * (Hs + Hs.T)
                try:
                    step = np.linalg.solve(Hs, g)
                except np.linalg.LinAlgError:
                    break
                x_new = x - step
                if self.objective(x_new) <= self.objective(x) + 1e-12:
                    x = x_new
                else:
                    break
            val = self.objective(x)
            if best is None or val < best[1]:
                best = (x, val)
        theta = best[0]
        ratios = np.exp(theta)
        p = self.parts(ratios)
        cov_gls = p["s2"] * np.linalg.inv(p["xhx"])
        return dict(theta=theta, ratios=ratios, beta=p["beta"], s2=p["s2"],
                    cov_gls=cov_gls, cov_observed=self.cov_observed(theta),
                    llf=-0.5 * p["neg2"], grad=self.gradient(theta))

    def hessian(self, theta, h=1e-3):
        """Finite-difference Hessian of -2 l_R in the log ratios."""
        f = self.objective
        k = len(theta)
        Hs = np.zeros((k, k))
        for i in range(k):
            ei = np.zeros(k)
            ei[i] = h
            Hs[i, i] = (-f(theta + 2 * ei) + 16 * f(theta + ei) - 30 * f(theta)
                        + 16 * f(theta - ei) - f(theta - 2 * ei)) / (12 * h * h)
            for j in range(i):
                ej = np.zeros(k)
                ej[j] = h
                Hs[i, j] = Hs[j, i] = (f(theta + ei + ej) - f(theta + ei - ej)
                                       - f(theta - ei + ej) + f(theta - ei - ej)) / (4 * h * h)
        return Hs

    def cov_observed(self, theta):
        """Fixed-effects covariance as statsmodels' MixedLM reports it.

        statsmodels inverts the full observed Hessian of its log-likelihood in
        (beta, variance ratios) with sigma^2 profiled out; by block inversion
        the fixed-effects block of that inverse is
            s2 (X'H^-1 X)^-1  +  J I_R^-1 J'
        with J[:, j] = d beta_hat / d theta_j
                     = -r_j (X'H^-1 X)^-1 X'H^-1 Z_j Z_j' H^-1 (y - X beta_hat)
        (theta_j = log r_j) and I_R = -d2 l_R / d theta d theta' (observed
        REML information of the variance ratios).  The second term is the
        extra variance from estimating the variance ratios; plain GLS omits
        it.  The sum does not depend on how theta is parametrised."""
        ratios = np.exp(theta)
        p = self.parts(ratios)
        cf = scipy.linalg.cho_factor(p["H"], lower=True)
        r = self.y - self.X @ p["beta"]
        hr = scipy.linalg.cho_solve(cf, r)
        xhx_inv = np.linalg.inv(p["xhx"])
        hx = scipy.linalg.cho_solve(cf, self.X)
        J = np.column_stack([-ratios[j] * xhx_inv @ (hx.T @ (self.ZZ[j] @ hr))
                             for j in range(len(ratios))])
        info = 0.5 * self.hessian(theta)
        return p["s2"] * xhx_inv + J @ np.linalg.solve(info, J.T)


# ---------------------------------------------------------------------------
# Analyses
# ---------------------------------------------------------------------------

def wide_scores(raw, inst, participants):
    d = raw[raw["instrument"] == inst]
    wide = d.pivot(index="participant_id", columns="week", values="score")
    # Absent rows become NaN here, exactly like empty scores.
    return wide.reindex(participants.index)


def descriptives(wide, participants, arms, weeks):
    out = []
    for arm in arms:
        ids = participants.index[participants["arm"] == arm]
        for w in weeks:
            v = wide.loc[ids, w].dropna().to_numpy()
            out.append({"arm": arm, "week": int(w), **summary(v)})
    return out


def change_from_baseline(wide, participants, arms, post, bw):
    out = []
    for arm in arms:
        ids = participants.index[participants["arm"] == arm]
        for w in post:
            ch = (wide.loc[ids, w] - wide.loc[ids, bw]).dropna().to_numpy()
            out.append({"arm": arm, "week": int(w), **summary(ch)})
    return out


def ancova(wide, participants, kinds, opts, post, arms):
    ref, bw, covs = opts["reference_arm"], opts["baseline_week"], opts["covariates"]
    rows, coefs = [], []
    others = [a for a in arms if a != ref]
    for w in post:
        data = participants[["arm"] + covs].copy()
        data["score"] = wide[w]
        data["baseline"] = wide[bw]
        data = data.dropna(subset=["score", "baseline"] + covs)
        cov_part, _ = covariate_terms(data, covs, kinds)
        formula = f"score ~ C(arm, Treatment('{ref}')) + baseline" + cov_part
        res = smf.ols(formula, data=data).fit()
        names = {clean_term(k): k for k in res.params.index}
        ci = res.conf_int(alpha=0.05)
        for a in others:
            k = names[f"arm[{a}]"]
            rows.append({"week": int(w), "arm": a, "estimate": fnum(res.params[k]),
                         "se": fnum(res.bse[k]), "ci_low": fnum(ci.loc[k, 0]),
                         "ci_high": fnum(ci.loc[k, 1]), "p_value": fnum(res.pvalues[k]),
                         "df_resid": int(round(res.df_resid)), "n": int(res.nobs)})
        # Coefficient order: intercept, arms, baseline, covariates as given.
        order = ["intercept"] + [f"arm[{a}]" for a in others] + ["baseline"]
        for c in covs:
            if kinds[c] == "numeric":
                order.append(c)
            else:
                levels = sorted(data[c].unique())
                order += [f"{c}[{lv}]" for lv in levels[1:]]
        assert sorted(order) == sorted(names), (order, list(names))
        for t in order:
            k = names[t]
            coefs.append({"week": int(w), "term": t, "estimate": fnum(res.params[k]),
                          "se": fnum(res.bse[k]), "t_value": fnum(res.tvalues[k]),
                          "p_value": fnum(res.pvalues[k])})
        # Cross-check OLS by hand: b = (X'X)^-1 X'y, se from s2 (X'X)^-1.
        X, y = res.model.exog, res.model.endog
        b = np.linalg.lstsq(X, y, rcond=None)[0]
        s2 = float(np.sum((y - X @ b) ** 2) / (len(y) - X.shape[1]))
        se = np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))
        assert np.max(np.abs(b - res.params.to_numpy())) < 1e-9
        assert np.max(np.abs(se - res.bse.to_numpy())) < 1e-9
    return rows, coefs


def mixed_data(wide, participants, opts, post):
    """Long rows for the mixed model: post-baseline, score + baseline + covariates present."""
    bw, covs, ref = opts["baseline_week"], opts["covariates"], opts["reference_arm"]
    frames = []
    for w in post:
        d = participants[["arm", "group_id"] + covs].copy()
        d["participant_id"] = d.index
        d["week"] = int(w)
        d["score"] = wide[w]
        d["baseline"] = wide[bw]
        frames.append(d)
    data = pd.concat(frames, ignore_index=True)
    data = data.dropna(subset=["score", "baseline"] + covs)
    data = data.sort_values(["participant_id", "week"]).reset_index(drop=True)
    # Partially nested design: only participants in non-reference arms who
    # have a group share a group random effect.
    data["in_group"] = ((data["arm"] != ref) & (data["group_id"] != "")).astype(float)
    data["cluster"] = np.where(data["in_group"] == 1.0, data["group_id"], data["participant_id"])
    return data


def own_design(data, opts, kinds, arms, post):
    """Build X independently of patsy; return X, column names, and the
    contrast vector for the arm effect at each (arm, week)."""
    ref, covs = opts["reference_arm"], opts["covariates"]
    others = [a for a in arms if a != ref]
    cols, names = [np.ones(len(data))], ["intercept"]
    for a in others:
        cols.append((data["arm"] == a).to_numpy(float)); names.append(f"arm[{a}]")
    for w in post[1:]:
        cols.append((data["week"] == w).to_numpy(float)); names.append(f"week[{w}]")
    for a in others:
        for w in post[1:]:
            cols.append(((data["arm"] == a) & (data["week"] == w)).to_numpy(float))
            names.append(f"arm[{a}]:week[{w}]")
    cols.append(data["baseline"].to_numpy(float)); names.append("baseline")
    for c in covs:
        if kinds[c] == "numeric":
            cols.append(data[c].to_numpy(float)); names.append(c)
        else:
            for lv in sorted(data[c].unique())[1:]:
                cols.append((data[c] == lv).to_numpy(float)); names.append(f"{c}[{lv}]")
    X = np.column_stack(cols)
    contrasts = {}
    for a in others:
        for w in post:
            c = np.zeros(len(names))
            c[names.index(f"arm[{a}]")] = 1.0
            if w != post[0]:
                c[names.index(f"arm[{a}]:week[{w}]")] = 1.0
            contrasts[(a, w)] = c
    return X, names, contrasts


def indicator(labels):
    levels = sorted(set(labels))
    idx = {l: k for k, l in enumerate(levels)}
    Z = np.zeros((len(labels), len(levels)))
    for r, l in enumerate(labels):
        Z[r, idx[l]] = 1.0
    return Z


def statsmodels_ratios(res, group_effect):
    """Variance ratios (variance / residual variance) of a statsmodels fit, in
    DenseReml's order: participant, then group."""
    if group_effect:
        return np.array([res.params_object.vcomp[0], res.params_object.cov_re[0, 0]])
    return np.array([res.params_object.cov_re[0, 0]])


def fit_statsmodels(formula, data, group_effect, own: DenseReml, own_fit):
    if group_effect:
        model = smf.mixedlm(formula, data, groups=data["cluster"], re_formula="0 + in_group",
                            vc_formula={"participant": "0 + C(participant_id)"})
    else:
        model = smf.mixedlm(formula, data, groups=data["participant_id"])

    attempts = [(m, dict(method=[m], maxiter=20000)) for m in ["bfgs", "lbfgs", "powell", "nm"]]
    # Also start from the independent optimum, so the stored answer comes
    # from statsmodels but is not limited by where its default start leads.
    if group_effect:
        sp = MixedLMParams.from_components(np.zeros(model.k_fe),
                                           cov_re=np.array([[own_fit["ratios"][1]]]),
                                           vcomp=np.array([own_fit["ratios"][0]]))
    else:
        sp = MixedLMParams.from_components(np.zeros(model.k_fe),
                                           cov_re=np.array([[own_fit["ratios"][0]]]))
    attempts.append(("bfgs from own optimum", dict(method=["bfgs"], maxiter=20000, start_params=sp)))

    fits = []
    for label, kw in attempts:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = model.fit(reml=True, **kw)
            except Exception as e:  # an optimiser that fails outright is just skipped
                print(f"    statsmodels {label:22s} failed: {e}")
                continue
        ratios = statsmodels_ratios(res, group_effect)
        # Gradient of the REML criterion at statsmodels' answer, computed by
        # the independent code (log variance ratios): tells how converged it is.
        grad = own.gradient(np.log(ratios)) if np.all(ratios > 0) else np.array([np.inf])
        gmax = float(np.max(np.abs(grad)))
        fits.append(dict(label=label, res=res, llf=float(res.llf), converged=bool(res.converged),
                         grad=gmax, warnings=sorted({str(c.message) for c in caught})))
        print(f"    statsmodels {label:22s} llf={res.llf:.10f} converged={res.converged} "
              f"max|d(-2 l_R)/d log ratio|={gmax:.1e}")
    # Best = converged, REML llf within 1e-8 of the best seen, then the
    # smallest gradient (llf differences below 1e-8 are rounding noise).
    ok = [f for f in fits if f["converged"]]
    top = max(f["llf"] for f in ok)
    best = min((f for f in ok if f["llf"] >= top - 1e-8), key=lambda f: f["grad"])
    return model, best, fits


def attempt_summary(fit, chosen, group_effect):
    """How far one statsmodels optimiser run lands from the chosen optimum."""
    r = fit["res"]
    vc = lambda x: np.concatenate([[x.scale], x.cov_re.to_numpy().ravel(), np.atleast_1d(x.vcomp)])
    return dict(method=fit["label"], llf=fit["llf"], converged=fit["converged"],
                max_gradient=fit["grad"],
                max_abs_diff_fixed_effects=float(np.max(np.abs(r.fe_params - chosen.fe_params))),
                max_abs_diff_fixed_effect_se=float(np.max(np.abs(r.bse_fe - chosen.bse_fe))),
                max_abs_diff_variance_components=float(np.max(np.abs(vc(r) - vc(chosen)))))


def mixed_model(wide, participants, kinds, opts, post, arms, report):
    ref, covs, ge = opts["reference_arm"], opts["covariates"], opts["group_effect"]
    data = mixed_data(wide, participants, opts, post)
    cov_part, _ = covariate_terms(data, covs, kinds)
    formula = f"score ~ C(arm, Treatment('{ref}')) * C(week) + baseline" + cov_part

    # Independent REML first (it also seeds one statsmodels attempt).
    X, own_names, contrasts = own_design(data, opts, kinds, arms, post)
    y = data["score"].to_numpy(float)
    Zs = [indicator(data["participant_id"].tolist())]
    if ge:
        gmask = data["in_group"].to_numpy() == 1.0
        labels = np.where(gmask, data["group_id"], "").tolist()
        Zg = indicator(labels)
        # Rows outside any group (label "") get no group effect: drop that column.
        levels = sorted(set(labels))
        Zs.append(Zg[:, [k for k, l in enumerate(levels) if l != ""]])
    own = DenseReml(y, X, Zs)
    own_fit = own.fit([[0.0] * len(Zs), [1.0] * len(Zs), [-1.0] * len(Zs)])

    model, best, fits = fit_statsmodels(formula, data, ge, own, own_fit)
    res = best["res"]
    fe_names = list(res.fe_params.index)
    cov_fe = res.cov_params().loc[fe_names, fe_names].to_numpy()
    beta = res.fe_params.to_numpy()
    clean = [clean_term(n) for n in fe_names]
    assert sorted(clean) == sorted(own_names), (clean, own_names)
    # statsmodels keeps model.endog/exog in data order.
    assert np.array_equal(model.endog, y)

    # GLS covariance s2 (X'H^-1X)^-1 at statsmodels' own variance estimates:
    # isolates the covariance convention from any optimiser difference.
    sm_parts = DenseReml(y, model.exog, Zs).parts(statsmodels_ratios(res, ge))
    gls_at_sm = res.scale * np.linalg.inv(sm_parts["xhx"])

    perm = [own_names.index(c) for c in clean]  # own column for each statsmodels column
    diffs = {
        "fixed_effects_all": float(np.max(np.abs(own_fit["beta"][perm] - beta))),
        "arm_effect_estimate": 0.0,
        "arm_effect_se_statsmodels_convention": 0.0,
        "arm_effect_se_gls_vs_statsmodels": 0.0,
        "cov_params_fe_vs_gls_same_variances": float(np.max(np.abs(gls_at_sm - cov_fe))),
        "cov_params_fe_vs_own_observed": float(np.max(np.abs(
            own_fit["cov_observed"][np.ix_(perm, perm)] - cov_fe))),
    }
    contrast_rows = []
    by_week = []
    others = [a for a in arms if a != ref]
    for w in post:
        for a in others:
            c = np.zeros(len(fe_names))
            c[clean.index(f"arm[{a}]")] = 1.0
            if w != post[0]:
                c[clean.index(f"arm[{a}]:week[{w}]")] = 1.0
            est = float(c @ beta)
            se = float(math.sqrt(c @ cov_fe @ c))
            z = est / se
            by_week.append({"week": int(w), "arm": a, "estimate": est, "se": se,
                            "ci_low": est - Z975 * se, "ci_high": est + Z975 * se,
                            "p_value": float(2.0 * scipy.stats.norm.sf(abs(z)))})
            oc = contrasts[(a, w)]
            own_est = float(oc @ own_fit["beta"])
            own_se_obs = float(math.sqrt(oc @ own_fit["cov_observed"] @ oc))
            own_se_gls = float(math.sqrt(oc @ own_fit["cov_gls"] @ oc))
            diffs["arm_effect_estimate"] = max(diffs["arm_effect_estimate"], abs(own_est - est))
            diffs["arm_effect_se_statsmodels_convention"] = max(
                diffs["arm_effect_se_statsmodels_convention"], abs(own_se_obs - se))
            diffs["arm_effect_se_gls_vs_statsmodels"] = max(
                diffs["arm_effect_se_gls_vs_statsmodels"], abs(own_se_gls - se))
            contrast_rows.append({"week": int(w), "arm": a, "estimate": est,
                                  "se_statsmodels": se, "se_gls": own_se_gls,
                                  "se_independent_observed": own_se_obs})

    s2 = own_fit["s2"]
    if ge:
        vc = {"participant": float(res.vcomp[0]), "group": float(res.cov_re.iloc[0, 0]),
              "residual": float(res.scale)}
        own_vc = {"participant": own_fit["ratios"][0] * s2, "group": own_fit["ratios"][1] * s2,
                  "residual": s2}
        icc = vc["participant"] / (vc["participant"] + vc["group"] + vc["residual"])
        n_groups = int(data.loc[data["in_group"] == 1.0, "group_id"].nunique())
    else:
        vc = {"participant": float(res.cov_re.iloc[0, 0]), "group": None,
              "residual": float(res.scale)}
        own_vc = {"participant": own_fit["ratios"][0] * s2, "group": None, "residual": s2}
        icc = vc["participant"] / (vc["participant"] + vc["residual"])
        n_groups = None
    diffs["variance_components"] = max(abs(vc[k] - own_vc[k]) for k in vc if vc[k] is not None)
    diffs["reml_log_likelihood"] = abs(float(res.llf) - own_fit["llf"])

    report.append(dict(chosen_fit=best["label"], statsmodels_llf=best["llf"],
                       independent_llf=own_fit["llf"],
                       independent_max_gradient=float(np.max(np.abs(own_fit["grad"]))),
                       statsmodels_max_gradient=best["grad"],
                       attempts=[attempt_summary(f, res, ge) for f in fits],
                       statsmodels_warnings=best["warnings"], max_abs_diff=diffs,
                       fixed_effect_terms=fe_names, arm_effect_se=contrast_rows))
    # Stop rather than store figures the two implementations do not agree on.
    must_agree = ["fixed_effects_all", "arm_effect_estimate", "arm_effect_se_statsmodels_convention",
                  "variance_components", "reml_log_likelihood"]
    bad = {k: diffs[k] for k in must_agree if diffs[k] > CROSS_CHECK_TOL}
    if bad:
        raise SystemExit(f"statsmodels and the independent REML disagree: {bad}")

    return {"n_obs": int(len(data)), "n_participants": int(data["participant_id"].nunique()),
            "n_groups": n_groups, "arm_effect_by_week": by_week,
            "variance_components": vc, "icc": float(icc),
            "reml_log_likelihood": float(res.llf)}


def effect_sizes(wide, participants, opts, post, arms):
    ref = opts["reference_arm"]
    out = []
    for w in post:
        r = wide.loc[participants.index[participants["arm"] == ref], w].dropna().to_numpy()
        for a in [x for x in arms if x != ref]:
            t = wide.loc[participants.index[participants["arm"] == a], w].dropna().to_numpy()
            n1, n2 = len(t), len(r)
            md = float(np.mean(t) - np.mean(r))
            pooled = math.sqrt(((n1 - 1) * np.var(t, ddof=1) + (n2 - 1) * np.var(r, ddof=1))
                               / (n1 + n2 - 2))
            d = md / pooled
            J = 1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)
            g = J * d
            se_d = math.sqrt((n1 + n2) / (n1 * n2) + d * d / (2.0 * (n1 + n2)))
            se_g = J * se_d
            out.append({"week": int(w), "arm": a, "n_arm": n1, "n_reference": n2,
                        "mean_difference": md, "pooled_sd": pooled,
                        "cohens_d": d, "cohens_d_ci_low": d - Z975 * se_d,
                        "cohens_d_ci_high": d + Z975 * se_d,
                        "hedges_g": g, "hedges_g_ci_low": g - Z975 * se_g,
                        "hedges_g_ci_high": g + Z975 * se_g})
    return out


def completion(raw, wide, participants, arms, weeks):
    out = []
    for arm in arms:
        randomised = int(raw.loc[raw["arm"] == arm, "participant_id"].nunique())
        ids = participants.index[participants["arm"] == arm]
        for w in weeks:
            done = int(wide.loc[ids, w].notna().sum())
            out.append({"arm": arm, "week": int(w), "randomised": randomised,
                        "completed": done, "rate": done / randomised})
    return out


def analyse(csv_name: str, opts: dict, report: dict) -> dict:
    raw = load(OUT / csv_name)
    participants, kinds = participant_table(raw, opts["covariates"])
    arms = sorted(participants["arm"].unique())
    bw = opts["baseline_week"]
    result = {"data": csv_name, "options": opts, "instruments": {}}
    for inst in sorted(raw["instrument"].unique()):
        print(f"  {csv_name} {inst}")
        wide = wide_scores(raw, inst, participants)
        weeks = sorted(raw.loc[raw["instrument"] == inst, "week"].unique())
        post = [w for w in weeks if w != bw]
        anc_rows, anc_coefs = ancova(wide, participants, kinds, opts, post, arms)
        rep = []
        mm = mixed_model(wide, participants, kinds, opts, post, arms, rep)
        report[f"{csv_name} {inst} group_effect={opts['group_effect']}"] = rep[0]
        result["instruments"][inst] = {
            "descriptives": descriptives(wide, participants, arms, weeks),
            "change_from_baseline": change_from_baseline(wide, participants, arms, post, bw),
            "ancova": anc_rows,
            "ancova_coefficients": anc_coefs,
            "mixed_model": mm,
            "effect_sizes": effect_sizes(wide, participants, opts, post, arms),
            "completion": completion(raw, wide, participants, arms, weeks),
        }
    return result


def main() -> None:
    print(f"numpy {np.__version__}, pandas {pd.__version__}, scipy {scipy.__version__}, "
          f"statsmodels {statsmodels.__version__}")
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    write_csv(OUT / "two_arm.csv", make_two_arm(rng))
    write_csv(OUT / "three_arm.csv", make_three_arm(rng))

    jobs = [
        ("expected_two_arm.json", "two_arm.csv",
         {"baseline_week": 0, "primary_week": 12, "reference_arm": "control",
          "covariates": ["site", "age"], "group_effect": False}),
        ("expected_two_arm_groups.json", "two_arm.csv",
         {"baseline_week": 0, "primary_week": 12, "reference_arm": "control",
          "covariates": ["age"], "group_effect": True}),
        ("expected_three_arm.json", "three_arm.csv",
         {"baseline_week": 0, "primary_week": 16, "reference_arm": "a_control",
          "covariates": ["stratum"], "group_effect": False}),
    ]
    report = {}
    for out_name, csv_name, opts in jobs:
        result = analyse(csv_name, opts, report)
        with (OUT / out_name).open("w") as f:
            json.dump(result, f, indent=1, allow_nan=False)
            f.write("\n")

    # The cross-check, kept next to the script so the comparison can be read
    # without re-running it.
    with (Path(__file__).resolve().parent / "cross_check.json").open("w") as f:
        json.dump(report, f, indent=1, allow_nan=False)
        f.write("\n")
    print("\nREML cross-check (statsmodels vs independent dense REML):")
    for key, r in report.items():
        print(f"  {key}: chosen fit = {r['chosen_fit']}")
        print(f"    llf statsmodels {r['statsmodels_llf']:.12f}  independent {r['independent_llf']:.12f}")
        print(f"    max|grad| independent {r['independent_max_gradient']:.1e}, "
              f"at statsmodels' answer {r['statsmodels_max_gradient']:.1e}")
        for k, v in r["max_abs_diff"].items():
            print(f"    max |diff| {k}: {v:.3e}")
        if r["statsmodels_warnings"]:
            print(f"    warnings: {r['statsmodels_warnings']}")


if __name__ == "__main__":
    sys.exit(main())
