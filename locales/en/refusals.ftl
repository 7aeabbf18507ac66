# A service's refusal shown on a form (web/page.rs, Problems::from_refusal). English readers see
# the service's own words, which name the record; these are for the other languages, so each
# says the rule without the particulars. `refusal-<field>` for a field's problem, `refusal-<code>`
# for a conflict (docs/errors.md).

# Fields
refusal-reason = say why (1 to 1000 characters); it is kept in the audit trail
refusal-full-name = must be 1 to 200 characters
refusal-contact = give an e-mail address, a phone number or both
refusal-email = must be an e-mail address like name@example.org
refusal-phone = must be a phone number of 7 to 15 digits
refusal-signature-name = must be the participant's full name as enrolled
refusal-language = must be one of the study's languages
refusal-preferred-language = must be one of the study's languages
refusal-time-zone = must be a time zone name such as America/Chicago
refusal-screening-id = no screening has this id
refusal-attempted-at-future = is in the future
refusal-attempted-at-before-enrolment = is before the participant was enrolled
refusal-note = must be at most 2000 characters
refusal-site = no site has that code

# Conflicts
refusal-already_consented = this consent form version is already signed by the participant
refusal-consent_form_outdated = a newer consent form was approved since the page was shown; reload it
refusal-already_voided = the consent was already voided
refusal-no_consent_text = the form in force has no text in that language
refusal-nothing_open = no questionnaire is open for the participant now
refusal-no_email = the participant has no e-mail address on file: make a link and read it to them
refusal-no_consent_form_in_force = the protocol has no consent form approved for today
refusal-already_enrolled = this screening was already enrolled
refusal-duplicate_person = this person is already enrolled (same e-mail or phone)
refusal-strata_frozen = a randomised participant's strata cannot change: the allocation used them
refusal-screening_not_eligible = only an eligible screening can be enrolled
refusal-screening_closed = the screening was already closed
refusal-already_randomised = the participant is already randomised
refusal-not_consented = randomisation needs consent
refusal-not_eligible = randomisation needs an eligible screening
refusal-reconsent_required = the consent in force was superseded and must be signed again
refusal-strata_outdated = the stratification answers no longer match the protocol: correct them first
refusal-withdrawn = the participant has withdrawn
refusal-site_closed = the site is closed to new screenings and enrolments
refusal-not_open = this questionnaire is no longer open
refusal-not_completed = only a submitted questionnaire is corrected; the participant can still change their answers
refusal-already_revoked = the link was already revoked
refusal-not_yet_held = attendance can be recorded once the session has started
refusal-cancelled = the session was cancelled
refusal-name = must be one line of 1 to 100 characters
refusal-arm-id = choose an arm that delivers groups
refusal-moderator-id = choose an active moderator
refusal-affinity-tags = choose among the affinities offered
refusal-weekday = choose a day of the week
refusal-local-time = must be a time such as 18:30
refusal-start-date = must be a date such as 2027-03-01
refusal-capacity = must be between the minimum to start and 50, and at least the members it has
refusal-meeting-url = must be a web address such as https://meet.example.org/room
refusal-name_taken = a group with this name exists
refusal-has_members = a group's language and affinity are fixed once it has members
refusal-already_launched = the group has already started
refusal-empty_group = the group has no members yet
refusal-group_completed = the group has finished; its members stay as they were
refusal-unchanged = this text is already the version in force
refusal-amendment_invalidates_allocations = randomisation has started, so the arms, their codes, the strata and the method cannot change
refusal-content = the protocol cannot be saved as it is
