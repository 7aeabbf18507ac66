# The layout around every staff page: navigation, sign-in, account, error pages, overview.

skip-to-content = Skip to content
back-to-overview = Back to the overview

nav-label = Account
nav-overview = Overview
nav-participants = Participants
nav-screening = Screening
nav-questionnaires = Questionnaires
nav-alerts = Safety alerts
nav-report = Trial report
nav-api-docs = API docs
nav-account = Account
nav-sign-out = Sign out

role-admin = admin
role-coordinator = coordinator
role-clinician = clinician
role-moderator = moderator
role-statistician_blinded = statistician (blinded)
role-statistician_unblinded = statistician (unblinded)

forbidden-title = Not available to your role
forbidden-text = This page is for staff who may { $what }; the { $role } role may not. If your work needs it, ask an administrator.
not-found-title = Not found
not-found-text = There is no { $what } at this address, or it belongs to a site your account does not cover.

# The overview (home page)
home-study = Study { $code } · protocol version { $version }
home-randomisation-started = randomisation started { $when }
home-randomisation-not-started = randomisation not started
home-attention = Needs attention
home-recruitment = Recruitment
home-arms = Arms
home-arm-code-heading = Code
home-arm-heading = Arm
home-ratio-heading = Ratio
home-blinding = Blinding
home-targets = Targets
home-enrolment-target = Enrolment target: { $n }
home-diversity-target = { $label }: at least { $share }%
home-groups = Groups of up to { $capacity }, { $sessions } sessions of { $minutes } minutes
home-schedule = Schedule of assessments
home-timepoint = { $label } (day { $day }, { $instruments })
home-blind-roles = Kept blind to allocation: { $roles }.
home-blind-process-shown = Process data (groups, sessions, attendance, messages) is shown to them: every arm is delivered alike.
home-blind-process-withheld = Process data (groups, sessions, attendance, messages) is withheld from them: the arms differ in what or when they deliver, so it would name each arm.
home-blind-you-codes = You are kept blind: you see arms by their codes only.
home-blind-you-none = You are kept blind: you see no one's arm. In an emergency, a safety alert's page offers emergency unblinding of that participant: it is audited and every admin is told.
home-attention-alerts = Safety alerts: { $open_n } not yet acknowledged ({ $overdue_n } overdue), { $acknowledged_n } acknowledged and not closed
home-attention-queue = { $queue }: { $n }
home-attention-questionnaires = Questionnaires: { $open_n } open ({ $overdue_n } past their target date), { $missed_n } missed
home-recruit-screened = Screened { $screened_n }: { $eligible_n } eligible so far, { $ineligible_n } not meeting criteria, { $declined_n } declined
home-recruit-enrolled = Enrolled { $enrolled_n }, randomised { $randomised_n } of the { $target } targeted ({ $share }%), withdrawn { $withdrawn_n }
home-arm-code = Arm { $code }
home-recruit-arm = { $arm }: { $n } randomised
home-diversity-none-yet = no one enrolled yet
home-diversity-share = { $share }% of enrolled
home-diversity-met = met
home-diversity-not-met = not yet met
home-recruit-diversity = { $label }: { $now } (target at least { $target }%, { $state })
home-site-no-target = no target
home-site-target = target { $target }, { $share }%
home-recruit-site = Site { $name } ({ $site }, { $status }): screened { $screened_n }, enrolled { $enrolled_n }, randomised { $randomised_n } ({ $target })
site-status-open = open
site-status-closed = closed

# What a 404 page names, and its way back
thing-participant-record = participant record
thing-safety-alert = safety alert
thing-screening = screening
thing-work-queue = work queue
way-back-to-the-overview = Back to the overview
way-back-to-the-safety-alerts-queue = Back to the safety alerts queue
way-back-to-the-screening-log = Back to the screening log
way-back-to-the-participants = Back to the participants

# What a 403 page says the role may not do
permission-own-account = use their own account
permission-read-protocol = read the protocol
permission-amend-protocol = amend the protocol
permission-manage-users = manage users
permission-manage-sites = manage sites
permission-read-audit-trail = read the audit trail
permission-screen = screen
permission-enrol = enrol
permission-read-participants = read participants
permission-read-contact-details = read contact details
permission-randomise = randomise
permission-emergency-unblinding = use emergency unblinding
permission-read-notices = read notices
permission-manage-groups = manage groups
permission-read-groups = read groups
permission-record-attendance = record attendance
permission-read-outbox = read the outbox
permission-retry-messages = send a failed message again
permission-read-assessments = read assessments
permission-manage-assessments = manage assessments
permission-handle-safety-alerts = handle safety alerts
permission-configure-safety-contacts = configure safety contacts
permission-export-analysis-data = export analysis data
permission-read-trial-reports = read trial reports

# Signing in
login-title = Sign in
login-email = E-mail
login-password = Password
login-submit = Sign in
login-no-account = No account yet? An administrator creates one with
login-wrong = the e-mail or password is wrong, or the account is disabled
login-too-many = too many attempts; try again in { $seconds } seconds

# One's own account
account-title = Your account
account-must-change = You signed in with a one-time password. Choose your own to continue.
account-password-heading = Change your password
account-current-password = Current password
account-new-password = New password (at least 12 characters)
account-change-password = Change password
account-problem-current-wrong = The current password is wrong.
account-problem-new-same = The new password must differ from the current password.
account-problem-new-short = The new password must be at least 12 characters.
account-problem-new-long = The new password must be at most 1024 bytes.
account-language-heading = Language
account-language-legend = The language of your pages
account-language-save = Save language
account-language-saved = Your pages now speak the language you chose.

# Error pages
error-400-title = The form could not be read
error-400-text = Something in what was sent was not understood. Go back, check the form and send it again.
error-403-title = The form had expired
error-403-text = For your safety a form works only from the page it came from, for a limited time. Go back, reload the page and send it again.
error-404-title = Not found
error-404-text = There is nothing at this address. The link may be mistyped, or the page has moved.
error-409-title = That cannot be done now
error-409-text = The record changed since the page was shown. Go back and reload it to see where it stands.
error-413-title = Too much was sent
error-413-text = The form was larger than the server accepts.
error-500-title = Something went wrong on our side
error-500-text = Nothing you did caused this, and nothing half-done was kept. The fault has been logged; try again in a moment, and tell the study's administrator if it happens again.

# An arm as the blinding policy lets the reader see it
arm-code = Arm { $code }
arm-withheld = Arm withheld (blinded)

# One's own API tokens
account-tokens-heading = API tokens
account-tokens-intro = A token lets a script or another program use the API as you, with your role and sites. Give each one a name that says where it is used, and revoke it when that ends.
account-tokens-none = You have no API tokens.
account-token-shown-once = Your new token is shown this once. Copy it now into the program that will use it: it cannot be shown again.
account-token-copy = Copy the token
account-token-copied = Copied
account-token-name = Name
account-token-created = Made
account-token-expires = Expires
account-token-last-used = Last used
account-token-state = State
account-token-never = never
account-token-unused = not used yet
account-token-expired = expired
account-token-revoked-on = revoked { $when }
account-token-revoke = Revoke
account-token-revoke-label = Revoke the token { $name }
account-token-revoked = The token was revoked: it no longer works.
account-token-name-label = Name of a new token (where it will be used)
account-token-days-label = Days until it expires (1 to 365; 90 if left empty)
account-token-make = Make a token
account-token-problem-name = Give the token a name of 1 to 100 characters.
account-token-problem-days = Give a whole number of days from 1 to 365, or leave it empty.

# One's personal calendar address
account-calendar-heading = Calendar
account-calendar-intro = Your sessions can appear in Google Calendar, Outlook or Apple Calendar, kept up to date when a session moves or is cancelled. Make your personal calendar address and subscribe to it in the app. It holds group names and times only, never a participant's name; still, anyone with the address can read it, so keep it to yourself.
account-calendar-none = You have no calendar address yet.
account-calendar-make = Make my calendar address
account-calendar-shown-once = Your calendar address is shown this once. Subscribe to it now, or copy it: it cannot be shown again (you can always make a new one).
account-calendar-open = Subscribe in my calendar app
account-calendar-copy = Copy the address
account-calendar-how = Google Calendar: Other calendars, +, From URL, and paste it. Outlook: Add calendar, Subscribe from web. Apple Calendar: File, New Calendar Subscription.
account-calendar-unread = You made a calendar address on { $made }; no calendar app has read it yet.
account-calendar-in-use = You made a calendar address on { $made }; a calendar app last read it on { $read }.
account-calendar-replace = Make a new address (the old one stops working)
account-calendar-revoke = Stop my calendar address
account-calendar-revoked = Your calendar address was stopped: calendar apps can no longer read it.

# Two-step sign-in
login-code-title = Enter your sign-in code
login-code-label = Code
login-code-hint = The 6-digit code your authenticator app shows for trialdesk now, or one of your recovery codes.
login-code-submit = Sign in
login-code-start-again = Start again with your e-mail and password
login-code-wrong = That code is wrong or was used already. Wait for the next code in your app, or use a recovery code.
login-code-missing = Enter the code your authenticator app shows.
account-two-factor-heading = Two-step sign-in
account-two-factor-on = On: you sign in with your password and a code from your authenticator app.
account-two-factor-off = Off: you sign in with your password alone.
account-two-factor-manage = Manage two-step sign-in
two-factor-title = Two-step sign-in
two-factor-back = Back to your account
two-factor-required = Your role signs in with two steps: your password and a code from an authenticator app on your phone. Set it up to continue.
two-factor-intro = After your password, you will type a 6-digit code from an authenticator app (such as Google Authenticator, Microsoft Authenticator, FreeOTP or a password manager). Someone who learns your password still cannot sign in as you.
two-factor-start = Set up two-step sign-in
two-factor-step-scan = Open your authenticator app, add an account, and scan this code.
two-factor-qr-label = QR code for your authenticator app
two-factor-step-type = Or type this key into the app instead of scanning:
two-factor-step-code = The 6-digit code the app now shows
two-factor-confirm = Turn on two-step sign-in
two-factor-problem-code = That is not the code the app shows now. Check that the app has the key above and that your phone's clock is right.
two-factor-now-on = Two-step sign-in is on.
two-factor-codes-heading = Your recovery codes
two-factor-codes-once = Each code signs you in once if you lose your phone. They are shown only now: print them or keep them in a password manager.
two-factor-codes-copy = Copy the codes
two-factor-on = Two-step sign-in is on: you sign in with your password and a code from your authenticator app.
two-factor-codes-left = { $n ->
    [one] You have 1 unused recovery code.
   *[other] You have { $n } unused recovery codes.
}
two-factor-renew-heading = New recovery codes
two-factor-renew-intro = Makes ten new codes; the ones you have now stop working.
two-factor-renew = Make new recovery codes
two-factor-off-heading = Turn two-step sign-in off
two-factor-off-intro = You will sign in with your password alone.
two-factor-off-required = Your role needs two-step sign-in, so you will be asked to set it up again straight away: do this to move to a new phone or app.
two-factor-off = Turn off two-step sign-in
two-factor-turned-off = Two-step sign-in is off.
