# Staff accounts, for administrators (src/web/staff.rs)
nav-staff = Staff
thing-staff-account = staff account
way-back-to-the-staff-accounts = Back to the staff accounts
staff-title = Staff accounts
staff-back = Back to the staff accounts
staff-name = Name
staff-email = E-mail
staff-role = Role
staff-sites = Sites
staff-all-sites = every site, present and future
staff-state = State
staff-state-active = active
staff-state-disabled = disabled
staff-state-new = has not chosen a password yet
staff-new-heading = New account
staff-make = Make the account
staff-not-saved = Nothing was saved:
staff-secret = The one-time password of { $email }, shown this once:
staff-secret-how = Give it to them by a different channel than the e-mail address (a phone call, say). They choose their own password when they first sign in.
staff-made = Made { $made }; last changed { $changed }.
staff-change-heading = Name, role and sites
staff-reason = Reason (kept in the audit trail)
staff-save = Save the changes
staff-changed = The account was changed. A new role ends its sessions.
staff-disable-heading = Disable the account
staff-disable-intro = Its sessions and API tokens stop working at once; its records stay.
staff-disable = Disable { $name }
staff-disabled = The account was disabled.
staff-enable-heading = Enable the account
staff-enable-intro = It can sign in again.
staff-enable = Enable { $name }
staff-enabled = The account was enabled.
staff-reset-heading = Reset the password
staff-reset-intro = Makes a new one-time password and ends the account's sessions; they choose their own password at their next sign-in.
staff-reset = Reset the password of { $name }
staff-problem-name = give a name of 1 to 200 characters
refusal-display-name = must be 1 to 200 characters
refusal-role = choose a role
refusal-sites = choose the sites this account may use, or every site
refusal-email_taken = another account uses that e-mail
refusal-self_lockout = you cannot disable your own account or take away your own admin role
nav-contacts = Safety contacts
contacts-title = Safety contacts
contacts-intro = Who hears of a suicide-risk alert, in order: the first at once, the next when it is not acknowledged in time, and so on. With nobody here, the admins are told.
contacts-place = { $n ->
    [1] First contact
    [2] Second contact
    [3] Third contact
   *[other] Contact { $n }
}
contacts-nobody = nobody
contacts-save = Save the safety contacts
contacts-saved = The safety contacts were saved.
contacts-not-saved = The safety contacts were not saved:
contacts-problem-twice = the same person is chosen twice
contacts-problem-inactive = someone chosen can no longer sign in
staff-tokens-heading = API tokens
staff-tokens-intro = Programs this person made to call trialdesk's API in their name. Revoke one that is no longer needed, or that may have leaked: it stops working at once.
staff-tokens-none = This account has no API tokens.
staff-token-revoked = The token is revoked; it no longer works.
thing-api-token = API token
way-back-to-the-staff-account = Back to the staff account
staff-two-factor-heading = Two-step sign-in
staff-two-factor-on = On. If they have lost both their phone and their recovery codes, reset it: their sessions end, and they set it up again at their next sign-in.
staff-two-factor-off = Off: this account signs in with its password alone.
staff-two-factor-reset = Reset two-step sign-in for { $name }
staff-two-factor-was-reset = Two-step sign-in is reset; they set it up again at their next sign-in.
