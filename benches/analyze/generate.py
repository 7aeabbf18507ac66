#!/usr/bin/env python3
"""Simulated outcome data for the `trialdesk analyze` benchmark.

    python benches/analyze/generate.py --participants 100000 --out /tmp/bench-100k.csv

Writes a long-format CSV, one row per participant x week x instrument:

    participant_id,arm,week,instrument,total_score,site,age,group_id

* participant_id  P000001, P000002, ... (zero-padded to at least 6 digits)
* arm             control / intervention, exactly 1:1 (N // 2 control), in random order
* week            0, 6, 12, 24
* instrument      phq9 (0-27), ucla3 (3-9)
* total_score     integer within the instrument's range, or an EMPTY cell when missing:
                  2 % of baseline visits are missed; at each follow-up week 8 % of
                  visits are missed (both instruments empty) and 2 % of single
                  questionnaires are left blank, so ~10 % of follow-up scores are empty
* site            north / south / west (40 / 35 / 25 %)
* age             years, one decimal, N(46, 13) clipped to 18-85
* group_id        G00001, ... for the intervention arm (support groups of 10, the last
                  one possibly smaller); empty for control

Score = instrument mean + participant random intercept + secular trend (both arms)
        + site and age effects + (intervention only) an effect that grows over the
        weeks + a support-group effect after baseline + residual noise,
then rounded and clamped to the instrument's range.

Everything is drawn from one numpy Generator seeded with --seed, so the same
arguments always write the same file. Vectorised: 100,000 participants (800,000
rows) take a few seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_SEED = 20251128
WEEKS = np.array([0, 6, 12, 24])
SITES = np.array(["north", "south", "west"])

# Per instrument: baseline mean, SD of the participant intercept, SD of the
# support-group effect, residual SD, trend and intervention effect by week,
# site and age (per year from 46) effects, and the score range.
SPEC = {
    "phq9": dict(mu=10.0, sd_p=3.0, sd_g=1.0, sd_e=2.5,
                 trend=[0.0, -0.8, -1.2, -1.5], effect=[0.0, -1.5, -2.5, -3.0],
                 site=[0.0, 0.8, -0.6], age=0.04, lo=0, hi=27),
    "ucla3": dict(mu=6.0, sd_p=1.0, sd_g=0.4, sd_e=0.8,
                  trend=[0.0, -0.2, -0.3, -0.3], effect=[0.0, -0.4, -0.7, -0.9],
                  site=[0.0, 0.2, -0.1], age=0.01, lo=3, hi=9),
}
INSTRUMENTS = list(SPEC)

# Missingness (see the module docstring).
P_VISIT_MISSED = np.array([0.02, 0.08, 0.08, 0.08])
P_FORM_BLANK = np.array([0.0, 0.02, 0.02, 0.02])


def generate(n: int, seed: int) -> pd.DataFrame:
    if n < 2:
        raise SystemExit("--participants must be at least 2")
    rng = np.random.default_rng(seed)
    n_w, n_i = len(WEEKS), len(INSTRUMENTS)

    # Participants.
    width = max(6, len(str(n)))
    pid = np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), width))
    arm_is_int = np.zeros(n, dtype=bool)
    arm_is_int[n // 2:] = True
    rng.shuffle(arm_is_int)
    arm = np.where(arm_is_int, "intervention", "control")
    site_idx = rng.choice(3, size=n, p=[0.40, 0.35, 0.25])
    age = np.clip(rng.normal(46.0, 13.0, n), 18.0, 85.0).round(1)

    # Support groups of 10 in the intervention arm, in random order.
    interv = rng.permutation(np.flatnonzero(arm_is_int))
    group_no = np.zeros(n, dtype=np.int64)  # 0 = no group
    group_no[interv] = np.arange(len(interv)) // 10 + 1
    n_groups = int(group_no.max())
    gwidth = max(5, len(str(n_groups)))
    group_id = np.where(group_no > 0,
                        np.char.add("G", np.char.zfill(group_no.astype(str), gwidth)), "")

    # Scores, shape (participant, week, instrument).
    score = np.empty((n, n_w, n_i))
    for k, inst in enumerate(INSTRUMENTS):
        s = SPEC[inst]
        u = rng.normal(0.0, s["sd_p"], n)
        g_eff = np.concatenate([[0.0], rng.normal(0.0, s["sd_g"], n_groups)])[group_no]
        base = s["mu"] + u + np.asarray(s["site"])[site_idx] + s["age"] * (age - 46.0)
        mean = base[:, None] + np.asarray(s["trend"])[None, :]
        post = (WEEKS != 0)[None, :]
        mean = mean + arm_is_int[:, None] * (np.asarray(s["effect"])[None, :]
                                             + post * g_eff[:, None])
        y = mean + rng.normal(0.0, s["sd_e"], (n, n_w))
        score[:, :, k] = np.clip(np.round(y), s["lo"], s["hi"])

    visit_missed = rng.random((n, n_w)) < P_VISIT_MISSED[None, :]
    form_blank = rng.random((n, n_w, n_i)) < P_FORM_BLANK[None, :, None]
    missing = visit_missed[:, :, None] | form_blank

    # Long format: participant, then week, then instrument (C order).
    per = n_w * n_i
    total = pd.array(score.reshape(-1).astype(np.int64), dtype="Int64")
    total[missing.reshape(-1)] = pd.NA
    return pd.DataFrame({
        "participant_id": np.repeat(pid, per),
        "arm": np.repeat(arm, per),
        "week": np.tile(np.repeat(WEEKS, n_i), n),
        "instrument": np.tile(np.array(INSTRUMENTS), n * n_w),
        "total_score": total,
        "site": np.repeat(SITES[site_idx], per),
        "age": np.repeat(np.char.mod("%.1f", age), per),
        "group_id": np.repeat(group_id, per),
    })


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--participants", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", type=Path, required=True, help="CSV file to write")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    df = generate(args.participants, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    df.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(args.out)  # never leave a half-written file under the real name
    post = df["week"] != 0
    print(f"wrote {args.out}: {args.participants} participants, {len(df)} rows, "
          f"{df.loc[post, 'total_score'].isna().mean():.1%} of follow-up scores empty, "
          f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
