# A questionnaire on a participant's record (/participants/{ $id }/questionnaires/{ $aid }): its answers and scores, entering them on the participant's behalf, correcting one.

answers-back-to = Back to { $id }
answers-crisis-raised = An urgent safety alert was raised and the study clinician is being told now.
answers-crisis-read = Read this to the participant before you end the call:
answers-state = State
answers-state-scheduled = scheduled
answers-state-open = open
answers-state-completed = completed
answers-state-missed = missed
answers-state-not-applicable = not applicable
answers-entered-by-staff = entered by staff on the participant's behalf
answers-submitted = Submitted
answers-scores = Scores
answers-score-none = not scored
answers-not-saved = Nothing was saved. Please check:
answers-enter-heading = Enter the answers on the participant's behalf
answers-enter-intro = Read each question and its answers aloud, as written, and mark what the participant says. When you submit, the answers are scored and the safety rules apply exactly as on their own pages.
answers-optional = (optional)
answers-declined = Declined to answer
answers-enter-submit = Submit the answers on their behalf
answers-heading = Answers
answers-no-questions = No questions.
answers-question = Question
answers-answer = Answer
answers-answer-declined = declined to answer
answers-answer-none = not answered
answers-correct-heading = Correct an answer
answers-correct-intro = For an answer recorded wrongly. The questionnaire is scored again; the old and new answers and your reason are kept in the audit trail.
answers-choose = Choose…
answers-right-answer = The right answer
answers-correct-reason = Why it is corrected
answers-correct-submit = Correct the answer

# Notices after a form (?done=…)
answers-done-entry = Submitted on the participant's behalf and scored.
answers-done-correction = The answer was corrected and the questionnaire scored again.

# Why the answers or a correction were refused
answers-problem-choose = choose one of the answers
answers-problem-required = choose an answer, or “declined to answer”
answers-problem-item = choose the question to correct
answers-problem-value = choose the right answer
answers-problem-not-an-answer = { $value } is not an answer to { $item }; allowed: { $allowed }
answers-problem-reason = say why (1 to 1000 characters); it is kept in the audit trail

# One safety alert (/alerts/{ $id })
alert-title = Alert { $id }
alert-all = All alerts
alert-heading-urgent = Urgent alert: { $id }
alert-heading-safety = Safety alert: { $id }
alert-raised = Raised
alert-due = Acknowledge by
alert-overdue = overdue
alert-state = Status
alert-state-with-contact = { $status }, with safety contact { $level }
alert-acknowledged = Acknowledged
alert-not-yet = not yet
alert-action = Action taken
alert-none-recorded = none recorded
alert-closed = Closed
alert-not-closed = no
alert-reach = Reach the participant
alert-prefers-en = prefers English
alert-prefers-es = prefers Spanish
alert-phone = Phone:
alert-email = E-mail:
alert-none-on-file = none on file
alert-unblind-intro = You are kept blind to allocation. If this participant's care depends on their arm:
alert-unblind-link = emergency unblinding
alert-acknowledge-submit = Acknowledge: I am handling this
alert-action-submit = Record the action
alert-close-label = Why it can be closed
alert-close-submit = Close the alert

# Why a step on an alert was refused
alert-problem-text = say what was done
alert-conflict-already-acknowledged = the alert is { $status }
alert-conflict-not-acknowledged = the alert is { $status }; acknowledge it first
alert-conflict-no-action-recorded = record the action taken before closing the alert

# An alert's status, as a word (tr.word("alert-status", …))
alert-status-open = open
alert-status-acknowledged = acknowledged
alert-status-closed = closed

# The safety alerts queue (/alerts)
alerts-title = Safety alerts
alerts-hint = Open and acknowledged alerts, the most urgent first. An alert not acknowledged by its due time goes to the next safety contact.
alerts-none = No open alerts.
alerts-participant = Participant
alerts-severity = Severity
alerts-why = Why
alerts-raised = Raised ({ $zone })
alerts-due = Acknowledge by
alerts-status = Status
alerts-urgent = Urgent
alerts-notify = Notify
alerts-overdue = overdue
alerts-status-contact = { $status } (contact { $level })

# The questionnaires list (/assessments)
assessments-title = Questionnaires
assessments-filters = Which questionnaires
assessments-filter-overdue = Past their target date
assessments-filter-open = All open
assessments-filter-missed = Missed
assessments-none = None.
assessments-participant = Participant
assessments-timepoint = Time point
assessments-target-date = Target date
assessments-last-day = Last day
assessments-status = Status
assessments-past-target = (past target)
assessments-link-hint-before = A new personal link for a participant:
assessments-link-hint-after = (shown once, to send by text message or read out on a call).
assessments-status-scheduled = scheduled
assessments-status-open = open
assessments-status-completed = completed
assessments-status-missed = missed
assessments-status-not-applicable = not applicable

# Emergency unblinding (/unblinding/{ $id })
unblind-title = Emergency unblinding: { $id }
unblind-back-to-alert = Back to the alert
unblind-allocated = { $id } was allocated to: { $arm }
unblind-shown-once = This is shown to you this once. Every admin and the unblinded statistician have been told, and the participant's record now shows that you know their arm. Keep it to those who need it for the participant's care.
unblind-intro = Only when the participant's care depends on knowing their arm. You will see it once. The reason, your name and the time go into the audit trail; every admin and the unblinded statistician are e-mailed; the trial report counts the unblinding.
unblind-reason-label = Why the arm is needed now
unblind-submit = Show the arm
unblind-problem-reason = Write why the arm is needed now (up to 1000 characters): it is kept in the audit trail.
unblind-conflict-not-randomised = { $id } has not been randomised

# The trial report's page (/reports): its own words around the report, whose body stays as generated
report-title = { $name } · trial report
report-overview-link = ← Overview
report-study = Study { $code }
report-generated = Generated { $at }
report-blinded = Blinded report: arms are shown by code only (Arm A, Arm B).
report-methods = Methods
report-methods-descriptives = Descriptives: n, mean, SD (n−1), median and quartiles by linear interpolation (R type 7).
report-methods-ancova = ANCOVA at each week: OLS of the score on arm and baseline score{ $covariates } (treatment contrasts), with t-based 95% CIs.
report-methods-mmrm = MMRM: score ~ week + arm × week + baseline × week{ $covariates }, with an unstructured covariance over the post-baseline weeks, fitted by REML; every participant with a baseline and any later score contributes (missing at random); adjusted means at the mean baseline; t-based 95% CIs and p-values on Satterthwaite degrees of freedom.
report-methods-mixed = Mixed model: score ~ arm × week + baseline{ $covariates } with a random intercept per participant{ $groups ->
        [yes] {" "}and a random effect for support group among participants in group arms (a partially nested design)
       *[no] {""}
    }, fitted by REML; { $df ->
        [kenward-roger] Kenward–Roger adjusted standard errors and degrees of freedom.
       *[satterthwaite] standard errors as statsmodels reports them, with t-based 95% CIs and p-values on Satterthwaite degrees of freedom.
    }
report-methods-effect-sizes = Effect sizes: Cohen's d on the pooled SD and Hedges' g with its small-sample correction.
report-methods-primary-mmrm = The primary analysis is the MMRM, as trial guidance asks of a repeated continuous outcome; ANCOVA and the random-intercept model are sensitivity analyses.
report-methods-primary-groups = The primary analysis is the mixed model with its support-group term: participants in the same group share its moderator and members, so their outcomes are correlated (a partially nested design), which the MMRM does not model; the MMRM and ANCOVA are sensitivity analyses.
report-methods-primary-chosen = The primary analysis is { $model ->
        [mmrm] the MMRM
        [mixed] the random-intercept mixed model
       *[ancova] the ANCOVA at each week
    }, as chosen for this analysis; the other models are sensitivity analyses.
report-methods-software = Computed by trialdesk { $version }, written in Rust (nalgebra, argmin and statrs); its test suite checks every figure against statsmodels and R (nlme, emmeans, lmerTest and pbkrtest).
