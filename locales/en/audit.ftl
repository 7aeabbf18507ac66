# The audit trail page for administrators (src/audit/pages.rs)
nav-audit = Audit trail
trail-title = Audit trail
trail-intro = Every change to the trial's data: who, when, old → new, and why. Each entry is chained to the one before it, so a change made behind trialdesk's back is found by verifying the chain.
trail-participant = Participant (study id)
trail-account = Account (e-mail)
trail-action = Action
trail-from = From (YYYY-MM-DD)
trail-to = To (YYYY-MM-DD)
trail-filter = Show these entries
trail-verify = Verify the chain
trail-csv = Download the whole trail as CSV
trail-none = No entry matches.
trail-not-shown = The entries were not shown:
trail-no-such = no participant or account has that study id or e-mail
trail-shown = The newest first, at most 200; times in the study's zone ({ $zone }). Actions, records, changes and reasons are kept as written (the system writes them in English). Narrow the filters, or download the CSV for every entry.
trail-when = When
trail-who = Who
trail-what = Record
trail-changes = Changes
trail-reason = Reason
trail-intact = { $n ->
    [one] The chain is intact: 1 entry checked.
   *[other] The chain is intact: { $n } entries checked.
}
trail-broken = The chain is broken at entry { $seq } ({ $n } entries checked): it was changed, deleted or reordered outside trialdesk.
