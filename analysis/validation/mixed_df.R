# The random-intercept mixed model's degrees of freedom as R gives them, for the analysis crate's
# tests (analysis/tests/r_validation.rs): lme4::lmer by REML, then lmerTest::contest1D for each arm
# effect with Satterthwaite's and Kenward-Roger's (pbkrtest) degrees of freedom.
#
#   Rscript mixed_df.R DATA.csv BASELINE_WEEK REFERENCE_ARM COVARIATES GROUPS OUT.csv
#
# COVARIATES as in mmrm.R. GROUPS is "groups" for the partially nested model (a random effect for
# support group among participants outside the reference arm) or "-". OUT.csv: instrument,
# method, week, arm, estimate, se, df.
suppressPackageStartupMessages({
  library(lmerTest)
})
# The data preparation both scripts share, from prepare.R beside this script.
source(file.path((function() {
  file <- sub("^--file=", "", grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE))
  dirname(normalizePath(file))
})(), "prepare.R"))
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 6)
data_file <- args[1]
baseline_week <- as.numeric(args[2])
reference <- args[3]
covariates <- if (args[4] == "-") character(0) else strsplit(args[4], ",")[[1]]
groups <- args[5] == "groups"
out_file <- args[6]

raw <- read.csv(data_file, colClasses = "character", na.strings = "")
out <- list()
for (instrument in sort(unique(raw$instrument), method = "radix")) {
  d <- prepare(raw, instrument, baseline_week, reference, covariates)
  weeks <- levels(d$week)
  terms <- c("arm * week", "baseline", covariates, "(1 | participant_id)")
  if (groups) {
    # The partially nested design: a group effect only for rows of participants outside the
    # reference arm who have a group; every other row is in a level of its own whose effect
    # multiplies zero.
    d$in_group <- as.numeric(d$arm != reference & !is.na(d$group_id))
    d$cluster <- ifelse(d$in_group == 1, d$group_id, "none")
    terms <- c(terms, "(0 + in_group | cluster)")
  }
  formula <- as.formula(paste("score ~", paste(terms, collapse = " + ")))
  fit <- lmer(formula, data = d, REML = TRUE,
              control = lmerControl(check.nlev.gtr.1 = "ignore", optCtrl = list(ftol_abs = 1e-12, xtol_abs = 1e-10)))
  names_b <- names(fixef(fit))
  for (arm in levels(d$arm)[-1]) {
    for (w in seq_along(weeks)) {
      L <- setNames(numeric(length(names_b)), names_b)
      L[paste0("arm", arm)] <- 1
      if (w > 1) L[paste0("arm", arm, ":week", weeks[w])] <- 1
      for (method in c("Satterthwaite", "Kenward-Roger")) {
        if (groups && method == "Kenward-Roger") next
        t <- contest1D(fit, L, ddf = method)
        out[[length(out) + 1]] <- data.frame(instrument, method = tolower(method), week = weeks[w],
          arm, estimate = t$Estimate, se = t[["Std. Error"]], df = t$df)
      }
    }
  }
}
write.csv(do.call(rbind, out), out_file, row.names = FALSE)
