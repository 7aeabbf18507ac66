#!/usr/bin/env bash
# Refreshes docs/screens/*.png: builds trialdesk, fills a scratch database with the demo trial,
# serves it on a spare port and photographs the coordinator's main pages in headless Chromium.
# Needs what scripts/test.sh installs (Chromium, the browser-test npm packages); run that once.
set -euo pipefail
cd "$(dirname "$0")/.."
modules="${TRIALDESK_BROWSER_MODULES:-${XDG_CACHE_HOME:-$HOME/.cache}/trialdesk/browser-test}"
[ -d "$modules/node_modules/playwright-core" ] || { echo "error: run scripts/test.sh once first (it installs Chromium and playwright-core)" >&2; exit 1; }
export TRIALDESK_BROWSER_MODULES="$modules"
cargo build --quiet
bin="${CARGO_TARGET_DIR:-target}/debug/trialdesk"
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
head -c 32 /dev/urandom | base64 > "$work/key" && chmod 600 "$work/key"
export TRIALDESK_SECRET_KEY_FILE="$work/key" TRIALDESK_DATABASE_URL="sqlite://$work/trial.db"
"$bin" demo --screened 400 --out "$work/report" > "$work/demo.txt"
password=$("$bin" user create --email screens@example.invalid --name "Screens" --role coordinator --all-sites | awk '/one-time password/ {print $NF}')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --bind "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
# A participant with a completed baseline, and an ineligible screening.
read -r study_id assessment screening < <(python3 - "$work/trial.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
one = lambda q: c.execute(q).fetchone()[0]
a = one("select id from assessments where status = 'completed' order by completed_at limit 1")
print(one(f"select p.study_id from participants p join assessments a on a.participant_id = p.id where a.id = '{a}'"), a,
      one("select id from screenings where outcome = 'ineligible' limit 1"))
PY
)
# A moderator of their own, given a running demo group with a held session (the demo's
# moderators' passwords are not printed; there is no page yet to hand a group to someone else).
mod_password=$("$bin" user create --email moderator-screens@example.invalid --name "Marisol Vega" --role moderator --all-sites | awk '/one-time password/ {print $NF}')
admin_password=$("$bin" user create --email admin-screens@example.invalid --name "Alex Rivera" --role admin --all-sites | awk '/one-time password/ {print $NF}')
stat_password=$("$bin" user create --email statistician-screens@example.invalid --name "Sam Okafor" --role statistician_unblinded --all-sites | awk '/one-time password/ {print $NF}')
read -r group session < <(python3 - "$work/trial.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
me = c.execute("select id from users where email = 'moderator-screens@example.invalid'").fetchone()[0]
g, s = c.execute("select g.id, s.id from support_groups g join group_sessions s on s.group_id = g.id "
                 "where g.status = 'active' and s.status = 'scheduled' and s.starts_at <= datetime('now') "
                 "order by s.starts_at desc limit 1").fetchone()
c.execute("update support_groups set moderator_id = ? where id = ?", (me, g))
c.commit()
print(g, s)
PY
)
mkdir -p docs/screens
node scripts/screenshots.mjs "$(cat <<JSON
{"base": "http://127.0.0.1:$port", "email": "screens@example.invalid", "password": "$password", "out": "docs/screens",
 "pages": [
  {"name": "overview", "path": "/"},
  {"name": "participants", "path": "/participants"},
  {"name": "record", "path": "/participants/$study_id"},
  {"name": "questionnaire", "path": "/participants/$study_id/questionnaires/$assessment"},
  {"name": "screening", "path": "/screenings/new"},
  {"name": "screening-result", "path": "/screenings/$screening"},
  {"name": "randomise", "path": "/participants/{new}/randomise"},
  {"name": "queue-overdue", "path": "/queues/overdue"},
  {"name": "alerts", "path": "/alerts"},
  {"name": "account", "path": "/account"},
  {"name": "groups", "path": "/groups"},
  {"name": "group-queue", "path": "/groups/queue"},
  {"name": "group-new", "path": "/groups/new"},
  {"name": "group-coordinator", "path": "/groups/$group"}
 ],
 "others": [{"email": "moderator-screens@example.invalid", "password": "$mod_password", "pages": [
  {"name": "moderator-groups", "path": "/groups"},
  {"name": "moderator-group", "path": "/groups/$group", "full": true},
  {"name": "attendance", "path": "/sessions/$session/attendance", "full": true}
 ]}, {"email": "statistician-screens@example.invalid", "password": "$stat_password", "pages": [
  {"name": "exports", "path": "/exports"}
 ]}, {"email": "admin-screens@example.invalid", "password": "$admin_password", "pages": [
  {"name": "staff", "path": "/staff"},
  {"name": "safety-contacts", "path": "/safety-contacts"},
  {"name": "audit-trail", "path": "/audit-trail"},
  {"name": "protocol", "path": "/protocol", "full": true},
  {"name": "protocol-amend", "path": "/protocol/amend"},
  {"name": "outbox", "path": "/outbox"}
 ]}],
 "spanish": [
  {"name": "participants-es", "path": "/participants"},
  {"name": "record-es", "path": "/participants/$study_id"}
 ]}
JSON
)"
