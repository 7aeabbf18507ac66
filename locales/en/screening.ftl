# Screening a caller, the result, the log, correcting a screening; enrolment; correcting a record.

# The screening form (and the correction form)
screen-title = Screen a caller
screen-correct-title = Correct a screening
screen-log-link = Screening log
screen-correct-intro = Change what was entered wrongly and say why. Eligibility is judged again; the old and new answers and your reason are kept in the audit trail.
screen-back-to-screening = Back to the screening
screen-intro = Ask each question as written. The answers decide eligibility; nothing here identifies the caller.
screen-problems = The screening was not recorded. Please check:
screen-site = Site
screen-source = Where did they hear of the study?
screen-yes = Yes
screen-no = No
screen-correct-reason = Why it is corrected
screen-correct-submit = Correct the screening
screen-if-eligible = If eligible
screen-declined = They declined to take part
screen-decline-reason = Why they declined (optional)
screen-submit = Record the screening
screen-problem-answer = answer this question
screen-problem-whole-number = write a whole number, such as 42
screen-problem-source = say where the caller heard of the study (up to 100 characters)

# A screening's result
screening-title = Screening result
screening-log-link = Screening log
screening-screen-another = Screen another caller
screening-heading-eligible = Eligible
screening-heading-ineligible = Not eligible
screening-heading-declined = Eligible, declined
screening-heading-enrolled = Enrolled
screening-heading-other = Not enrolled
screening-corrected = The screening was corrected; eligibility was judged again.
screening-screened = Screened
screening-site = Site
screening-source = Heard of the study through
screening-reason = Reason
screening-criteria-not-met = Criteria not met
screening-correct-link = Correct this screening
screening-correct-hint = (if it was entered wrongly; with a reason, kept in the audit trail)
screening-enrol = Enrol this person

# The screening log
screenings-title = Screening log
screenings-screen-new = Screen a new caller
screenings-filter-label = Filter the log
screenings-outcome = Outcome
screenings-any = Any
screenings-show = Show
screenings-count = { $n ->
    [one] { $n } screening.
   *[other] { $n } screenings.
}
screenings-download = Download as CSV
screenings-table-label = Screenings
screenings-col-screened = Screened ({ $zone })
screenings-col-site = Site
screenings-col-source = Source
screenings-col-outcome = Outcome
screenings-col-failed = Criteria not met

# A screening's stored outcome, as the log shows it
outcome-screen-eligible = eligible
outcome-screen-ineligible = ineligible
outcome-screen-declined = declined
outcome-screen-other = other
outcome-screen-enrolled = enrolled

# Enrolling a participant
enrol-title = Enrol a participant
enrol-back-to-screening = Back to the screening
enrol-intro = Contact details are kept apart from the study record and shown only to the roles that need them.
enrol-problems = The participant was not enrolled. Please check:
enrol-open-existing = Open { $id }
enrol-full-name = Full name
enrol-email = E-mail address
enrol-phone = Phone number
enrol-contact-hint = An e-mail address, a phone number, or both.
enrol-language = Language for messages and questionnaires
enrol-choose = Choose…
enrol-submit = Enrol
enrol-problem-choose-one = choose one
enrol-problem-full-name = write the participant's full name
enrol-problem-bad-choice = a choice was not one the form offers ({ $error })

# Demographics and time zone (the enrolment form and the correction of a record)
enrol-prefers-not-to-say = Prefers not to say
enrol-race = Race
enrol-race-american-indian = American Indian or Alaska Native
enrol-race-asian = Asian
enrol-race-black = Black or African American
enrol-race-pacific-islander = Native Hawaiian or Other Pacific Islander
enrol-race-white = White
enrol-race-more-than-one = More than one race
enrol-race-other = Other
enrol-ethnicity = Ethnicity
enrol-ethnicity-hispanic = Hispanic or Latino/a/x
enrol-ethnicity-not-hispanic = Not Hispanic or Latino/a/x
enrol-sex = Sex
enrol-sex-female = Female
enrol-sex-male = Male
enrol-sex-intersex = Intersex
enrol-age = Age
enrol-age-18-29 = 18–29
enrol-age-30-39 = 30–39
enrol-age-40-49 = 40–49
enrol-age-50-59 = 50–59
enrol-age-60-69 = 60–69
enrol-age-70-79 = 70–79
enrol-age-80-89 = 80–89
enrol-age-90-over = 90 or over
enrol-newly-diagnosed = Diagnosed with MS within the last two years
enrol-yes = Yes
enrol-no = No
enrol-disease-course = MS disease course
enrol-course-relapsing-remitting = Relapsing-remitting
enrol-course-secondary-progressive = Secondary progressive
enrol-course-primary-progressive = Primary progressive
enrol-course-clinically-isolated = Clinically isolated syndrome
enrol-course-unknown = Not known
enrol-zone = Time zone (for the times in their messages)
enrol-zone-study = The study's ({ $zone })
enrol-zone-eastern = Eastern (New York)
enrol-zone-central = Central (Chicago)
enrol-zone-mountain = Mountain (Denver)
enrol-zone-arizona = Arizona (Phoenix)
enrol-zone-pacific = Pacific (Los Angeles)
enrol-zone-alaska = Alaska (Anchorage)
enrol-zone-hawaii = Hawaii (Honolulu)
enrol-zone-atlantic = Atlantic (Puerto Rico)

# Correcting a participant's record
edit-title = Correct the record: { $id }
edit-back = Back to { $id }
edit-heading = Correct the record of { $id }
edit-intro = Each change needs a reason; the old and new values go into the audit trail (contact details: only which ones changed).
edit-problems = Nothing was changed. Please check:
edit-contact-heading = Contact details
edit-contact-reason = Why they change
edit-contact-submit = Save the contact details
edit-record-heading = Study record
edit-language = Language for messages and questionnaires
edit-frozen-label = { $label }:
edit-frozen-hint = (used by the allocation; cannot change)
edit-record-reason = Why it changes
edit-record-submit = Save the study record
edit-problem-bad-choice = a choice was not one the form offers ({ $error })

# Where callers heard of the study (stored ids; any other source is kept as typed)
source-clinic = clinic
source-national_ms_society = National MS Society
source-social_media = social media
source-community_organisation = community organisation
source-word_of_mouth = word of mouth
source-newsletter = newsletter
source-other = other
