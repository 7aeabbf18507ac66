# R's side of the MMRM benchmark (benches/analyze/run.sh): nlme::gls with an unstructured
# covariance over the post-baseline weeks (corSymm + varIdent, REML), the model trialdesk's MMRM
# fits, on a long CSV; prints the seconds the fits took, per instrument and in all.
#
#   Rscript mmrm_r.R DATA.csv
suppressPackageStartupMessages(library(nlme))
args <- commandArgs(trailingOnly = TRUE)
raw <- read.csv(args[1], colClasses = "character", na.strings = "")
total <- 0
for (instrument in c("phq9", "ucla3")) {
  d <- raw[raw$instrument == instrument, ]
  d$week <- as.numeric(d$week)
  d$score <- as.numeric(d$total_score)
  base <- d[d$week == 0 & !is.na(d$score), c("participant_id", "score")]
  names(base)[2] <- "baseline"
  d <- merge(d[d$week != 0 & !is.na(d$score), ], base, by = "participant_id")
  d$age <- as.numeric(d$age)
  d$site <- factor(d$site)
  d$arm <- relevel(factor(d$arm), ref = "control")
  weeks <- sort(unique(d$week))
  d$visit <- match(d$week, weeks)
  d$week <- factor(d$week, levels = weeks)
  d <- d[order(d$participant_id, d$visit), ]
  seconds <- system.time(
    gls(score ~ arm * week + baseline * week + site + age, data = d, method = "REML",
        correlation = corSymm(form = ~ visit | participant_id),
        weights = varIdent(form = ~ 1 | week))
  )[["elapsed"]]
  total <- total + seconds
  cat(sprintf("%s: %d participants, %d rows, gls %.1f s\n", instrument,
              length(unique(d$participant_id)), nrow(d), seconds))
}
cat(sprintf("gls total %.1f s\n", total))
