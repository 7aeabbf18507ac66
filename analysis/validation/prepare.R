# The rows both validation scripts (mmrm.R, mixed_df.R) fit, prepared as the analysis crate
# prepares them: one instrument's post-baseline scores with the participant's baseline score and
# complete covariates; a covariate with any value that is not a number is categorical, its levels
# in code-point order; the reference arm first; `week` a factor and `visit` its index.
as_factor <- function(x) factor(x, levels = sort(unique(x[!is.na(x)]), method = "radix"))

prepare <- function(raw, instrument, baseline_week, reference, covariates) {
  d <- raw[raw$instrument == instrument, ]
  d$week <- as.numeric(d$week)
  d$score <- as.numeric(d$total_score)
  base <- d[d$week == baseline_week & !is.na(d$score), c("participant_id", "score")]
  names(base)[2] <- "baseline"
  d <- merge(d[d$week != baseline_week & !is.na(d$score), ], base, by = "participant_id")
  for (name in covariates) {
    value <- d[[name]]
    numbers <- suppressWarnings(as.numeric(value))
    d[[name]] <- if (all(is.na(value) | !is.na(numbers))) numbers else value
    d <- d[!is.na(d[[name]]), ]
    if (is.character(d[[name]])) d[[name]] <- as_factor(d[[name]])
  }
  d$arm <- relevel(as_factor(d$arm), ref = reference)
  weeks <- sort(unique(d$week))
  d$visit <- match(d$week, weeks)
  d$week <- factor(d$week, levels = weeks)
  d$participant_id <- factor(d$participant_id)
  d[order(d$participant_id, d$visit), ]
}

