# The MMRM as R fits it, for the analysis crate's tests (analysis/tests/r_validation.rs):
# nlme::gls with an unstructured covariance over the post-baseline weeks (corSymm + varIdent),
# by REML, and emmeans for adjusted means and arm contrasts with Satterthwaite degrees of freedom.
#
#   Rscript mmrm.R DATA.csv BASELINE_WEEK REFERENCE_ARM COVARIATES OUT.csv
#
# COVARIATES is a comma-separated list (or "-" for none). A covariate is categorical when any
# value is not a number, with its levels in code-point order, as the crate reads it. OUT.csv has
# one row per figure: instrument, kind (lsmean, effect, covariance, loglik), week, arm (for
# covariance: the column's week), estimate, se, df.
suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
})
# The data preparation both scripts share, from prepare.R beside this script.
source(file.path((function() {
  file <- sub("^--file=", "", grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE))
  dirname(normalizePath(file))
})(), "prepare.R"))
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 5)
data_file <- args[1]
baseline_week <- as.numeric(args[2])
reference <- args[3]
covariates <- if (args[4] == "-") character(0) else strsplit(args[4], ",")[[1]]
out_file <- args[5]

raw <- read.csv(data_file, colClasses = "character", na.strings = "")
out <- list()
for (instrument in sort(unique(raw$instrument), method = "radix")) {
  d <- prepare(raw, instrument, baseline_week, reference, covariates)
  weeks <- levels(d$week)
  terms <- c("arm * week", "baseline * week", covariates)
  formula <- as.formula(paste("score ~", paste(terms, collapse = " + ")))
  # The formula goes into the call itself: emmeans re-evaluates `call$model` for its
  # Satterthwaite gradient. natural = FALSE makes gls' apVar (the covariance of the variance
  # parameters that the degrees of freedom rest on) use the parameters it optimises, which
  # emmeans' analytical gradient requires. apVar is a finite-difference Hessian whose step is
  # relative to each parameter; at the defaults a variance ratio near 1 (log ratio near 0) gets a
  # step so small that rounding moves the degrees of freedom by several per cent, so the step is
  # set here to 1e-4 of a parameter, and never below 1e-4.
  fit <- eval(bquote(gls(.(formula), data = d, method = "REML",
    correlation = corSymm(form = ~ visit | participant_id),
    weights = varIdent(form = ~ 1 | week),
    control = glsControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10, msTol = 1e-12,
                         natural = FALSE, minAbsParApVar = 1, .relStep = 1e-4))))
  # With weights = "proportional" emmeans counts each row of a gls fit with the fit's variance
  # weight (varIdent's ratio of standard deviations) as if it were a case weight, so with unequal
  # variances its categorical covariates' shares are not the rows' shares. The reference grid's
  # counts are set here to the rows' counts, which "proportional" means and the crate uses.
  rg <- ref_grid(fit, data = d, mode = "satterthwaite")
  grid <- rg@grid
  factors <- Filter(function(n) n %in% names(d) && is.factor(d[[n]]), names(grid))
  key <- function(x) do.call(paste, c(lapply(factors, function(f) as.character(x[[f]])), sep = "\r"))
  counts <- table(key(d))
  grid$.wgt. <- as.numeric(counts[key(grid)])
  grid$.wgt.[is.na(grid$.wgt.)] <- 0
  rg@grid <- grid
  emm <- emmeans(rg, ~ arm | week, weights = "proportional")
  means <- as.data.frame(summary(emm))
  out[[length(out) + 1]] <- data.frame(instrument, kind = "lsmean", week = means$week,
    arm = means$arm, estimate = means$emmean, se = means$SE, df = means$df)
  effects <- as.data.frame(summary(contrast(emm, "trt.vs.ctrl", ref = 1, adjust = "none")))
  effects$arm <- sub(" - .*$", "", effects$contrast)
  out[[length(out) + 1]] <- data.frame(instrument, kind = "effect", week = effects$week,
    arm = effects$arm, estimate = effects$estimate, se = effects$SE, df = effects$df)
  # Sigma as the covariance of a participant with every week.
  complete <- names(which(table(d$participant_id) == length(weeks)))[1]
  sigma <- getVarCov(fit, individual = complete)
  for (i in seq_along(weeks)) for (j in seq_along(weeks)) {
    out[[length(out) + 1]] <- data.frame(instrument, kind = "covariance", week = weeks[i],
      arm = as.character(weeks[j]), estimate = sigma[i, j], se = NA, df = NA)
  }
  out[[length(out) + 1]] <- data.frame(instrument, kind = "loglik", week = NA, arm = NA,
    estimate = as.numeric(logLik(fit)), se = NA, df = NA)
}
write.csv(do.call(rbind, out), out_file, row.names = FALSE)
