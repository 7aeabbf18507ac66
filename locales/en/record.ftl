# A participant's record (/participants/{ $id }): its actions, consent, questionnaires, personal links, contact attempts, alerts and timeline.

record-all-participants = All participants
record-back-to = Back to { $id }
record-not-found-what = participant record
record-back-to-participants = Back to the participants
record-problem-reason = say why (1 to 1000 characters); it is kept in the audit trail

# Notices after a form (?done=…)
record-done-consent = Consent recorded.
record-done-void = The consent was voided. It stays on the record, struck through, with the reason.
record-done-invitation = An invitation with a fresh link is on its way to the participant's e-mail.
record-done-withdrawal = Withdrawal recorded: questionnaires and messages to this participant have stopped.
record-done-attempt = Contact attempt recorded.
record-done-correction = The record was corrected.
record-done-revocation = The link was revoked: it no longer opens anything.
record-done-enrolment = Enrolled. Record consent next.

# The record's facts
record-status = Status
record-status-enrolled = enrolled
record-status-consented = consented
record-status-randomised = randomised
record-status-withdrawn = withdrawn
record-status-enrolled-reconsent = enrolled: to be re-consented to the form now in force
record-status-randomised-reconsent = randomised: to be re-consented to the form now in force
record-site = Site
record-enrolled = Enrolled
record-their-zone = Their time zone
record-language = Language
record-language-en = English
record-language-es = Spanish
record-arm = Arm
record-arm-hidden = hidden from your role
record-arm-not-randomised = not randomised
record-group = Group
record-phase = Phase
record-phase-waiting = waiting
record-phase-queued = queued
record-phase-in_group = in group
record-phase-follow_up = follow up
record-withdrawn = Withdrawn
record-withdrawn-data-not-used = data not to be used
record-times-zone = Times are in the study's time zone, { $zone }.
record-randomise = Randomise
record-correct = Correct the record
record-withdraw = Withdraw from the study

# Contact details
record-contact-heading = Contact details
record-contact-name = Name
record-contact-phone = Phone
record-contact-email = E-mail
record-contact-none = none on file
record-contact-show = Show contact details
record-contact-audited = (each look is kept in the audit trail)

# Consent, recorded by staff
consent-heading = Consent
consent-none = No consent recorded.
consent-line = Form { $version }, { $signed }, in { $language }, { $how }
consent-language-en = English
consent-language-es = Spanish
consent-how-witnessed = witnessed by staff
consent-how-own-link = signed on their own link
consent-hash-before = (SHA-256
consent-hash-after = , a PDF copy e-mailed)
consent-voided = voided { $when }: { $reason }
consent-void-summary = Void: recorded in error
consent-void-reason-label = Why it was recorded in error
consent-void-button = Void this consent
consent-record-before = Record consent to form
consent-record-after = , witnessed by you.
consent-signature-label = Name the participant typed or signed (as on their record)
consent-language-label = Language the form was read in
consent-record-button = Record consent

# Questionnaires
record-questionnaires-heading = Questionnaires
record-schedule-none = None scheduled yet: the schedule starts at randomisation.
record-schedule-label = Questionnaire schedule
record-col-timepoint = Time point
record-col-state = State
record-col-target = Target day
record-col-window = Window
record-col-completed = Completed
record-col-scores = Scores
record-window = { $from } to { $to }
record-window-group = when the group starts
record-score-none = not scored

# Personal links
link-heading = Personal links
link-none = No personal link made by staff yet (invitations carry their own).
link-dates = Made { $created }, expires { $expires }
link-state-revoked = revoked { $when }
link-state-expired = expired
link-state-unused = not used yet
link-state-used = last used { $when }
link-revoke-label = Why revoke it
link-revoke-button = Revoke
link-make = Make a new personal link
link-invite = E-mail a fresh invitation now
link-new-heading = New personal link
link-new-shown-once = Shown this once: it is not stored. Read it out, paste it into a message, or let the participant scan the code.
link-copy = Copy the link
link-copied = Copied
link-qr-label = QR code of the new link, to scan with a phone's camera

# Contact attempts
record-attempts-heading = Contact attempts
record-attempts-none = None recorded.
record-attempt-record = Record a contact attempt
record-channel-call = Phone call
record-channel-text_message = Text message
record-channel-mail = E-mail
record-channel-video = Video call
record-channel-in_person = In person
record-outcome-reached = Reached them
record-outcome-left_message = Left a message
record-outcome-no_answer = No answer
record-outcome-wrong_number = Wrong number or address
record-outcome-asked_not_to_be_contacted = Asked not to be contacted

# Safety alerts
record-alerts-heading = Safety alerts
record-alert-open = open
record-alert-acknowledged = acknowledged
record-alert-closed = closed

# Timeline
timeline-heading = Timeline
timeline-screened = screened
timeline-enrolled = enrolled
timeline-consented = consented
timeline-consent_voided = consent voided
timeline-randomised = randomised
timeline-unblinded = unblinded
timeline-withdrawn = withdrawn
timeline-contact_attempt = contact attempt

# Randomise (/participants/{ $id }/randomise)
randomise-title = Randomise { $id }
randomise-check = Check these before you go on: the allocation cannot be undone, and it uses exactly these values.
randomise-study-id = Study id
randomise-site = Site
randomise-method = Method
randomise-method-simple = simple
randomise-method-stratified_blocks = stratified blocks
randomise-method-minimisation = minimisation
randomise-wrong-before = If a value is wrong, do not randomise:
randomise-wrong-link = correct the record
randomise-wrong-after = first.
randomise-now = Randomise { $id } now
randomise-refused-withdrawn = { $id } has withdrawn from the study.
randomise-refused-reconsent = A new consent form is in force: record re-consent first.
randomise-refused-no-consent = Consent is not recorded yet: record it on the participant's page first.
randomise-conflict-withdrawn = { $id } has withdrawn from the study
randomise-conflict-not-consented = { $id } has not consented

# Allocation (/participants/{ $id }/allocation)
allocation-title = Allocation of { $id }
allocation-heading = { $id } is randomised
allocation-again = { $id } was already randomised: nothing new was allocated. This is the allocation made then.
allocation-allocated-to = Allocated to
allocation-hidden = hidden from your role
allocation-when = When
allocation-times = Times are in the study's time zone, { $zone }. The welcome message and the questionnaire schedule follow by themselves.

# Withdraw (/participants/{ $id }/withdraw)
withdraw-action = Withdraw { $id }
withdraw-heading = Withdraw { $id } from the study
withdraw-intro = When you confirm, this stops at once:
withdraw-pending = { $n ->
    [one] { $n } questionnaire not yet answered become "not applicable";
   *[other] { $n } questionnaires not yet answered become "not applicable";
}
withdraw-no-messages = no invitation, reminder or other message is sent to them again;
withdraw-no-links = their personal links open nothing more.
withdraw-record-stays = Their record stays, with the reason, in the audit trail.
withdraw-not-recorded = The withdrawal was not recorded:
withdraw-reason-label = Reason for withdrawal
withdraw-keep-legend = May the data collected so far be kept and analysed?
withdraw-keep-yes = Yes, keep it
withdraw-keep-no = No, do not use it
withdraw-problem-keep-data = choose whether the data collected so far may be kept

# Timeline details (the API's timeline says the same in English)
timeline-detail-screened = eligible, referred by { $source }
timeline-detail-consented = form { $version } ({ $language })
timeline-detail-consented-own-link = form { $version } ({ $language }, signed on their link)
timeline-detail-voided = consent to form { $version } voided: { $reason }
timeline-detail-unblinded = emergency unblinding by user { $account }
timeline-detail-data-kept = data kept
timeline-detail-data-not-used = data not to be used
