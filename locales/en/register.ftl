# The participant register (record status grid), the follow-up work queues, the contact-attempt form.

# The participant register (/participants)
grid-title = Participants
grid-screen-new = Screen a new caller
grid-screening-log = Screening log
grid-filter-label = Filter participants
grid-search-contacts = Study id, name, e-mail or phone
grid-search-id = Study id
grid-filter-need = Needs action
grid-filter-no-filter = No filter
grid-filter-any = Any
grid-filter-site = Site
grid-filter-status = Status
grid-filter-arm = Arm
grid-filter-stratum = Stratum
grid-filter-language = Language
grid-filter-group = Group
grid-language-en = English
grid-language-es = Spanish
grid-show = Show
grid-clear-filters = Clear filters
grid-searched-contacts = Searching contact details is kept in the audit trail, with each participant it found.
grid-none = No participants match.
grid-showing = Showing { $first }–{ $last } of { $total }.
grid-csv = Download this view as CSV
grid-sort-by = Sort by:
grid-sort-study-id = Study id
grid-sort-site = Site
grid-sort-enrolled = Date enrolled
grid-sort-language = Language
grid-ascending = ascending
grid-descending = descending
grid-table-label = Participants and their questionnaires
grid-col-study-id = Study id
grid-col-site = Site
grid-col-status = Status
grid-col-arm = Arm
grid-col-group = Group
grid-col-phase = Phase
grid-col-language = Language
grid-open-alerts = { $n ->
    [one] { $n } open safety alert
   *[other] { $n } open safety alerts
}
grid-phase-waiting = waiting
grid-phase-queued = queued
grid-phase-in_group = in group
grid-phase-follow_up = follow up
grid-arms = Arms:
grid-key = Key:
grid-pages = Pages
grid-previous = Previous page
grid-next = Next page

# A participant's status (stored words: `status-<word>`)
status-enrolled = enrolled
status-consented = consented
status-randomised = randomised
status-withdrawn = withdrawn

# A questionnaire time point's cell in the grid (and on the record page)
cell-not-yet = not scheduled
cell-scheduled = scheduled
cell-open = open
cell-past-target = past target
cell-completed = completed
cell-missed = missed
cell-not-applicable = not applicable

# What needs action (the grid's filter, the queues' titles, the overview)
need-unconsented = Not yet consented
need-awaiting_randomisation = Consented, awaiting randomisation
need-awaiting_group = Randomised, awaiting a group
need-overdue = Questionnaire past its target date

# A follow-up work queue (/queues/…)
queue-overview = Overview
queue-queues = Queues:
queue-link-overdue = overdue questionnaires
queue-link-awaiting-randomisation = awaiting randomisation
queue-link-awaiting-group = awaiting a group
queue-recorded = Contact attempt recorded.
queue-nothing = Nothing waiting.
queue-count = { $n ->
    [one] { $n } participant.
   *[other] { $n } participants.
}
queue-phone-audited = Phone numbers shown here are kept in the audit trail as contact reads.
queue-col-participant = Participant
queue-col-site = Site
queue-col-due = Due
queue-col-phone = Phone
queue-col-last-contact = Last contact ({ $zone })
queue-col-actions = Actions
queue-phone-none = none
queue-no-attempt = none yet
queue-last-attempt = { $when }, { $channel }: { $outcome }
queue-due-target = { $label }, target { $date }
queue-due-consented = { $n ->
    [one] consented { $n } day ago
   *[other] consented { $n } days ago
}
queue-due-queued = { $n ->
    [one] in the queue for { $n } day
   *[other] in the queue for { $n } days
}
queue-record-attempt = Record a contact attempt
queue-record-attempt-with = with { $id }
queue-randomise = Randomise
queue-new-link = New link
queue-new-link-for = for { $id }
queue-pages = Pages
queue-previous = Previous page
queue-next = Next page

# Recording a contact attempt
attempt-title = Contact attempt: { $id }
attempt-back-to-record = Back to { $id }
attempt-back-to-queue = Back to the queue
attempt-heading = Record a contact attempt with { $id }
attempt-problems = The attempt was not recorded. Please check:
attempt-when = When ({ $zone })
attempt-how = How
attempt-what-came = What came of it
attempt-note = Note (optional)
attempt-submit = Record the attempt
attempt-problem-when = give the date and time, such as 2026-12-03 14:30
attempt-problem-channel = choose how you contacted them
attempt-problem-outcome = choose what came of it

# How a participant was contacted (stored words: `channel-<word>`)
channel-call = Phone call
channel-text_message = Text message
channel-mail = E-mail
channel-video = Video call
channel-in_person = In person

# What came of a contact attempt (stored words: `outcome-<word>`)
outcome-reached = Reached them
outcome-left_message = Left a message
outcome-no_answer = No answer
outcome-wrong_number = Wrong number or address
outcome-asked_not_to_be_contacted = Asked not to be contacted
