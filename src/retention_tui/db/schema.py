"""The schema, created and migrated by version (``PRAGMA user_version``).

``MIGRATIONS[n - 1]`` takes a database from version ``n - 1`` to ``n``; each runs in its own
``BEGIN IMMEDIATE`` transaction together with the ``user_version`` bump, so a crash leaves
the file at one version or the next, never between. Never edit a released migration: add one.
docs/SCHEMA.md describes every table in plain words.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import NewerDatabaseError, RetentionError
from ..i18n import _
from .connection import _explain, write

# Version 1: every entity of DESIGN.md, one table each, named after the entity.
V1 = """
CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL            -- JSON
);

CREATE TABLE customers (
    id                  INTEGER PRIMARY KEY,
    customer_no         TEXT NOT NULL UNIQUE,          -- the DMS's id
    name                TEXT NOT NULL,
    phone               TEXT,
    mobile              TEXT,
    email               TEXT,
    street              TEXT,
    postcode            TEXT,
    city                TEXT,
    country             TEXT,
    advisor             TEXT,                          -- default service advisor
    consent_phone       INTEGER NOT NULL DEFAULT 1 CHECK (consent_phone IN (0, 1)),
    consent_email       INTEGER NOT NULL DEFAULT 0 CHECK (consent_email IN (0, 1)),
    consent_sms         INTEGER NOT NULL DEFAULT 0 CHECK (consent_sms IN (0, 1)),
    -- recorded status, set after contact; wins over the derived one
    recorded_status     TEXT CHECK (recorded_status IN
                            ('confirmed lost', 'not our customer', 'moved away',
                             'vehicle sold', 'deceased')),
    recorded_status_on  TEXT,
    -- badges: the current values; their history is in traffic_light_history / nps_scores
    traffic_light       TEXT NOT NULL DEFAULT 'unknown'
                            CHECK (traffic_light IN ('green', 'yellow', 'red', 'unknown')),
    traffic_light_reason TEXT,
    traffic_light_on    TEXT,
    nps                 INTEGER CHECK (nps BETWEEN 0 AND 10),
    nps_on              TEXT,
    -- derived facts, kept correct by every import and write (visits.refresh_customer_facts)
    first_visit         TEXT,
    last_visit          TEXT,
    visit_count         INTEGER NOT NULL DEFAULT 0,
    visit_months        INTEGER NOT NULL DEFAULT 0,    -- distinct calendar months with a visit
    usual_interval_days REAL,                          -- average days between visit days
    main_vehicle_id     INTEGER REFERENCES vehicles(id) ON DELETE SET NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX customers_name ON customers(name);
CREATE INDEX customers_last_visit ON customers(last_visit);
CREATE INDEX customers_advisor ON customers(advisor);
CREATE INDEX customers_postcode ON customers(postcode);

CREATE TABLE vehicles (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    plate       TEXT NOT NULL,
    plate_key   TEXT NOT NULL,          -- plate in upper case without spaces or dashes
    vin         TEXT,
    brand       TEXT,
    series      TEXT,
    model       TEXT,
    year        INTEGER,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX vehicles_vin ON vehicles(vin) WHERE vin IS NOT NULL;
CREATE INDEX vehicles_plate_key ON vehicles(plate_key);
CREATE INDEX vehicles_customer ON vehicles(customer_id);

CREATE TABLE visits (
    id          INTEGER PRIMARY KEY,
    invoice_no  TEXT NOT NULL UNIQUE,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    vehicle_id  INTEGER REFERENCES vehicles(id) ON DELETE SET NULL,
    plate       TEXT,                   -- as given by the DMS, even if no vehicle matches
    date        TEXT NOT NULL,          -- YYYY-MM-DD
    amount      REAL,
    advisor     TEXT,
    mileage     INTEGER,
    mot         INTEGER NOT NULL DEFAULT 0 CHECK (mot IN (0, 1)),
    mot_sample  INTEGER NOT NULL DEFAULT 0 CHECK (mot_sample IN (0, 1))
);
CREATE INDEX visits_customer_date ON visits(customer_id, date);
CREATE INDEX visits_date ON visits(date);
CREATE INDEX visits_vehicle ON visits(vehicle_id);

CREATE TABLE traffic_light_history (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    light       TEXT NOT NULL CHECK (light IN ('green', 'yellow', 'red', 'unknown')),
    reason      TEXT,
    assessed_on TEXT,                   -- when the state was assessed (from the DMS)
    source      TEXT NOT NULL CHECK (source IN ('import', 'manual')),
    operator    TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX traffic_light_history_customer ON traffic_light_history(customer_id, recorded_at);

CREATE TABLE nps_scores (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    score       INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    call_id     INTEGER REFERENCES calls(id) ON DELETE SET NULL,
    operator    TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX nps_scores_customer ON nps_scores(customer_id, recorded_at);

CREATE TABLE campaign_templates (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('retention', 'caring')),
    offer           TEXT,
    script          TEXT,               -- with placeholders such as {name} {vehicle} {last_visit}
    duration_days   INTEGER,
    cooldown_days   INTEGER NOT NULL DEFAULT 7,
    max_attempts    INTEGER NOT NULL DEFAULT 3
);

CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('retention', 'caring')),
    template_id     INTEGER REFERENCES campaign_templates(id) ON DELETE SET NULL,
    offer           TEXT,
    script          TEXT,
    starts_on       TEXT NOT NULL,
    ends_on         TEXT,
    cooldown_days   INTEGER NOT NULL DEFAULT 7,
    max_attempts    INTEGER NOT NULL DEFAULT 3,
    archived        INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

CREATE TABLE campaign_members (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    customer_id     INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    state           TEXT NOT NULL DEFAULT 'open'
                        CHECK (state IN ('open', 'done', 'no further action', 'never again')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_call_after TEXT,               -- cool-down or callback time
    source          TEXT,               -- the list it came from (desktop filter, drilldown, tag)
    added_by        TEXT NOT NULL,
    added_at        TEXT NOT NULL,
    UNIQUE (campaign_id, customer_id)
);
CREATE INDEX campaign_members_customer ON campaign_members(customer_id);

CREATE TABLE calls (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    campaign_id INTEGER REFERENCES campaigns(id) ON DELETE SET NULL,
    operator    TEXT NOT NULL,
    called_at   TEXT NOT NULL,
    outcome     TEXT NOT NULL,          -- reached, no answer, voicemail, callback, ...
    note        TEXT,
    callback_at TEXT
);
CREATE INDEX calls_customer ON calls(customer_id, called_at);
CREATE INDEX calls_campaign ON calls(campaign_id, called_at);

CREATE TABLE call_claims (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    operator    TEXT NOT NULL,
    claimed_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (campaign_id, customer_id)
);

CREATE TABLE churn_reasons (
    id          INTEGER PRIMARY KEY,
    label       TEXT NOT NULL,
    normalized  TEXT NOT NULL UNIQUE,   -- case, accents, punctuation and spaces folded
    merged_into INTEGER REFERENCES churn_reasons(id),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE churn_reason_aliases (
    id          INTEGER PRIMARY KEY,
    reason_id   INTEGER NOT NULL REFERENCES churn_reasons(id) ON DELETE CASCADE,
    alias       TEXT NOT NULL,
    normalized  TEXT NOT NULL UNIQUE
);

CREATE TABLE departures (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    departed_on TEXT NOT NULL,
    reason_id   INTEGER REFERENCES churn_reasons(id),
    note        TEXT,
    operator    TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (customer_id, departed_on)
);
CREATE INDEX departures_reason ON departures(reason_id);
CREATE INDEX departures_date ON departures(departed_on);

CREATE TABLE contact_blocks (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    channel     TEXT NOT NULL CHECK (channel IN ('phone', 'email', 'sms', 'letter')),
    reason      TEXT NOT NULL,
    operator    TEXT NOT NULL,
    set_at      TEXT NOT NULL,
    PRIMARY KEY (customer_id, channel)
);

CREATE TABLE tags (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    graded      INTEGER NOT NULL DEFAULT 0 CHECK (graded IN (0, 1)),
    automatic   INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1)),
    builtin     INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1))
);

CREATE TABLE customer_tags (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tag_id        INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    grade         INTEGER CHECK (grade BETWEEN 1 AND 6),
    valid_until   TEXT,
    follow_up_on  TEXT,
    note          TEXT,
    wishes        TEXT,                 -- JSON: purchase interest (brand, model, year_from, ...)
    operator      TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX customer_tags_customer ON customer_tags(customer_id);
CREATE INDEX customer_tags_tag ON customer_tags(tag_id, valid_until);

CREATE TABLE message_templates (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
    subject     TEXT,
    body        TEXT NOT NULL
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
    recipient       TEXT NOT NULL,
    subject         TEXT,
    body            TEXT NOT NULL,
    template_id     INTEGER REFERENCES message_templates(id) ON DELETE SET NULL,
    idempotency_key TEXT NOT NULL UNIQUE,   -- one message is never sent twice
    status          TEXT NOT NULL DEFAULT 'queued'
                        CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    operator        TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_status ON outbox(status, next_attempt_at);

CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    operator    TEXT NOT NULL,           -- OS login name
    action      TEXT NOT NULL,           -- e.g. 'set traffic light', 'import visits'
    entity      TEXT NOT NULL,           -- table name
    entity_id   INTEGER,
    customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    old_value   TEXT,
    new_value   TEXT
);
CREATE INDEX audit_customer ON audit(customer_id, at);

CREATE TABLE saved_views (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    screen      TEXT NOT NULL,           -- 'desktop', 'drilldown', ...
    definition  TEXT NOT NULL,           -- JSON: filters and sort
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (screen, name)
);

CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    file        TEXT NOT NULL,
    inserted    INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    operator    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
"""

# Version 2: the desktop's search index. One row per customer (rowid = customers.id) holding
# the folded text of each searchable column; a trigram index finds any substring of three or
# more characters without scanning the customers. Kept current by search_index.refresh.
V2 = """
CREATE INDEX customers_traffic_light ON customers(traffic_light);
CREATE INDEX customers_nps ON customers(nps);
CREATE VIRTUAL TABLE customer_search USING fts5(
    customer_no, name, phone, email, city, vehicle, advisor,
    tokenize = 'trigram case_sensitive 1'
);
INSERT INTO customer_search (rowid, customer_no, name, phone, email, city, vehicle, advisor)
SELECT c.id, fold(c.customer_no), fold(c.name), digits(c.phone, c.mobile), fold(c.email),
       fold(c.city),
       fold(coalesce(v.brand, '') || ' ' || coalesce(v.series, '') || ' '
            || coalesce(v.model, '') || ' ' || coalesce(v.plate, '') || ' '
            || coalesce(v.plate_key, '')),
       fold(c.advisor)
FROM customers c LEFT JOIN vehicles v ON v.id = c.main_vehicle_id;
"""

# Version 3: customer-months for the loyalty table (see customer_months.py). One row per
# customer and month with a visit, with the gap in months to the previous and next visit
# month; counts per month and gap; totals per month. Months are year * 12 + month - 1.
# The visits' customer index also covers the MOT flags, so a rebuild reads no table rows.
V3 = """
DROP INDEX visits_customer_date;
CREATE INDEX visits_customer_date ON visits(customer_id, date, mot, mot_sample);

CREATE TABLE customer_months (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    month       INTEGER NOT NULL,
    visits      INTEGER NOT NULL,
    mots        INTEGER NOT NULL,
    mot_samples INTEGER NOT NULL,
    prev_gap    INTEGER,                -- months since the previous visit month; NULL: first
    next_gap    INTEGER,                -- months to the next visit month; NULL: none yet
    PRIMARY KEY (customer_id, month)
) WITHOUT ROWID;
CREATE INDEX customer_months_month ON customer_months(month, prev_gap, next_gap);

CREATE TABLE loyalty_counts (
    month       INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('prev', 'next')),
    gap         INTEGER NOT NULL,       -- 0: no previous / no next visit month
    customers   INTEGER NOT NULL,
    PRIMARY KEY (month, kind, gap)
) WITHOUT ROWID;

CREATE TABLE month_totals (
    month       INTEGER PRIMARY KEY,
    customers   INTEGER NOT NULL,
    visits      INTEGER NOT NULL,
    mots        INTEGER NOT NULL,
    mot_samples INTEGER NOT NULL
);

INSERT INTO customer_months (customer_id, month, visits, mots, mot_samples, prev_gap, next_gap)
SELECT customer_id, month, visits, mots, mot_samples,
       month - lag(month) OVER w, lead(month) OVER w - month
FROM (
    SELECT customer_id,
           CAST(substr(date, 1, 4) AS INTEGER) * 12 + CAST(substr(date, 6, 2) AS INTEGER) - 1
               AS month,
           count(*) AS visits, sum(mot) AS mots, sum(mot_sample) AS mot_samples
    FROM visits GROUP BY customer_id, month
)
WINDOW w AS (PARTITION BY customer_id ORDER BY month);

INSERT INTO loyalty_counts (month, kind, gap, customers)
SELECT month, kind, gap, count(*) FROM (
    SELECT month, 'prev' AS kind, coalesce(prev_gap, 0) AS gap FROM customer_months
    UNION ALL
    SELECT month, 'next' AS kind, coalesce(next_gap, 0) AS gap FROM customer_months
)
GROUP BY month, kind, gap;

INSERT INTO month_totals (month, customers, visits, mots, mot_samples)
SELECT month, count(*), sum(visits), sum(mots), sum(mot_samples)
FROM customer_months GROUP BY month;
"""

# Version 4: a reason in use is retired (hidden from suggestions, kept in history), never
# deleted.
V4 = """
ALTER TABLE churn_reasons ADD COLUMN retired INTEGER NOT NULL DEFAULT 0
    CHECK (retired IN (0, 1));
"""

# Version 5: customer-months without a foreign key, so that an import can put a whole new
# table in place with one copy of its pages (SQLite's transfer optimisation, which a foreign
# key turns off); a trigger forgets a deleted customer's months as the cascade did.
V5 = """
CREATE TABLE customer_months_v5 (
    customer_id INTEGER NOT NULL,       -- customers.id (kept by trigger customers_forget_months)
    month       INTEGER NOT NULL,
    visits      INTEGER NOT NULL,
    mots        INTEGER NOT NULL,
    mot_samples INTEGER NOT NULL,
    prev_gap    INTEGER,                -- months since the previous visit month; NULL: first
    next_gap    INTEGER,                -- months to the next visit month; NULL: none yet
    PRIMARY KEY (customer_id, month)
) WITHOUT ROWID;
INSERT INTO customer_months_v5 SELECT customer_id, month, visits, mots, mot_samples, prev_gap,
    next_gap FROM customer_months;
DROP TABLE customer_months;
ALTER TABLE customer_months_v5 RENAME TO customer_months;
CREATE INDEX customer_months_month ON customer_months(month, prev_gap, next_gap);
CREATE TRIGGER customers_forget_months AFTER DELETE ON customers BEGIN
    DELETE FROM customer_months WHERE customer_id = old.id;
END;
"""

# Version 6: campaigns worked in call sessions. Templates get a key (the built-in ones come
# with the schema) and campaigns a status; a claim belongs to a session (one advisor may have
# two terminals open); members remember their last outcome, so the queue can tell a due
# callback from a retry, and their place in the queue (queue_rank). Do-not-contact per
# channel is contact_blocks, from version 1.
V6 = """
ALTER TABLE campaign_templates ADD COLUMN key TEXT;
ALTER TABLE campaign_templates ADD COLUMN builtin INTEGER NOT NULL DEFAULT 0
    CHECK (builtin IN (0, 1));
UPDATE campaign_templates SET key = 'template-' || id;
CREATE UNIQUE INDEX campaign_templates_key ON campaign_templates(key);

ALTER TABLE campaigns ADD COLUMN status TEXT NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'active', 'closed'));
UPDATE campaigns SET status = CASE WHEN archived THEN 'closed' ELSE 'active' END;

ALTER TABLE campaign_members ADD COLUMN last_outcome TEXT;
ALTER TABLE campaign_members ADD COLUMN last_called_at TEXT;
UPDATE campaign_members SET
    attempts = (SELECT count(*) FROM calls k WHERE k.campaign_id = campaign_members.campaign_id
                AND k.customer_id = campaign_members.customer_id),
    last_outcome = (SELECT outcome FROM calls k WHERE k.campaign_id = campaign_members.campaign_id
                    AND k.customer_id = campaign_members.customer_id
                    ORDER BY called_at DESC, id DESC LIMIT 1),
    last_called_at = (SELECT max(called_at) FROM calls k
                      WHERE k.campaign_id = campaign_members.campaign_id
                      AND k.customer_id = campaign_members.customer_id);
-- The queue's order in one sortable text: '0' and the time of a callback, '1' and the last
-- visit for a first call, '2' and the end of the cool-down for a retry.
ALTER TABLE campaign_members ADD COLUMN queue_rank TEXT;
UPDATE campaign_members SET queue_rank = CASE
    WHEN last_outcome = 'callback' THEN '0' || coalesce(next_call_after, '')
    WHEN attempts = 0 THEN '1' || coalesce((SELECT last_visit FROM customers c
                                            WHERE c.id = campaign_members.customer_id), '')
    ELSE '2' || coalesce(next_call_after, '') END;
CREATE INDEX campaign_members_queue ON campaign_members(campaign_id, state, queue_rank);

ALTER TABLE call_claims ADD COLUMN session TEXT NOT NULL DEFAULT '';
CREATE INDEX call_claims_session ON call_claims(session);

INSERT OR IGNORE INTO campaign_templates
    (key, builtin, name, kind, offer, script, duration_days, cooldown_days, max_attempts)
VALUES
('win-back', 1, 'Win back: away 12 months or more', 'retention',
 '20% off the next service and a free safety check',
 'Good morning {name}, this is {advisor} from the workshop. We last saw your {vehicle} on '
 || '{last_visit}, {months_away} months ago, and we would like to have you back. Is everything '
 || 'all right with it? We can offer you {offer}. Shall I book you in? If not: may I ask why '
 || 'you have not been back?', 60, 7, 3),
('lapsed-check-in', 1, 'Short-term lapsed: check-in', 'retention',
 'a free check of tyres, lights and fluids',
 'Hello {name}, {advisor} here from the workshop. Your {vehicle} was last with us on '
 || '{last_visit}. It is about time for its next visit: we can offer you {offer}. Which day '
 || 'suits you?', 30, 5, 3),
('mot-due', 1, 'MOT due reminder', 'caring', 'a free pre-check',
 'Hello {name}, this is {advisor} from the workshop. The MOT of your {vehicle} ({plate}) is '
 || 'due soon. We can do it together with {offer}. Shall I book a time?', 30, 3, 2),
('post-service', 1, 'Post-service satisfaction call', 'caring', NULL,
 'Hello {name}, {advisor} here. Your {vehicle} was with us on {last_visit}: is everything as '
 || 'it should be? On a scale from 0 to 10, how likely are you to recommend us to a friend?',
 14, 2, 2),
('open-complaint', 1, 'Lapsed with an open complaint', 'retention',
 'the work done again free of charge and a 25% voucher',
 'Good morning {name}, this is {advisor} from the workshop. We have not seen your {vehicle} '
 || 'since {last_visit}, and we know your last visit did not go as it should. We would like to '
 || 'put that right: {offer}. May I book you in?', 30, 3, 4),
('we-miss-you', 1, 'We miss you: voucher and free check', 'retention',
 'a 25 euro voucher and a free vehicle check',
 'Hello {name}, {advisor} from the workshop here. It has been {months_away} months since we '
 || 'last saw your {vehicle}, and we miss you! We would like to give you {offer}. When would '
 || 'you like to come by?', 60, 7, 3);
"""

# Version 7: the tag catalogue (group, default validity, retired), the day a tag applies
# from, follow-ups found by date, vehicles taken in trade; about 25 built-in tags.
V7 = """
ALTER TABLE tags ADD COLUMN grp TEXT NOT NULL DEFAULT 'other';
ALTER TABLE tags ADD COLUMN valid_days INTEGER;          -- default validity; NULL: no end
ALTER TABLE tags ADD COLUMN retired_at TEXT;             -- no longer offered; filters still work
ALTER TABLE customer_tags ADD COLUMN set_on TEXT;        -- the day it applies from
UPDATE customer_tags SET set_on = substr(created_at, 1, 10);
CREATE INDEX customer_tags_follow_up ON customer_tags(follow_up_on)
    WHERE follow_up_on IS NOT NULL;

CREATE TABLE trade_ins (
    id          INTEGER PRIMARY KEY,
    brand       TEXT NOT NULL,
    model       TEXT NOT NULL,
    year        INTEGER,
    mileage     INTEGER,
    price       REAL,
    note        TEXT,
    operator    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

INSERT OR IGNORE INTO tags (code, label, grp, graded, automatic, builtin, valid_days) VALUES
('inspection', 'Inspection customer', 'service', 1, 0, 1, NULL),
('tyre-storage', 'Tyre storage', 'service', 0, 0, 1, NULL),
('winter-storage', 'Winter storage', 'service', 0, 0, 1, NULL),
('conversion', 'Conversion customer', 'service', 0, 0, 1, NULL),
('tyre-service', 'Tyre service customer', 'service', 0, 0, 1, NULL),
('service-contract', 'Service contract', 'service', 0, 0, 1, NULL),
('warranty', 'Extended warranty', 'service', 0, 0, 1, NULL),
('bodywork', 'Bodywork and paint customer', 'service', 0, 0, 1, NULL),
('test-ride', 'Test ride', 'interest', 1, 0, 1, 365),
('purchase-interest', 'Purchase interest', 'interest', 1, 0, 1, 180),
('accessories', 'Interest in accessories and clothing', 'interest', 0, 0, 1, 180),
('bought-here', 'Vehicle bought here', 'relationship', 0, 0, 1, NULL),
('club-member', 'Club member', 'relationship', 0, 0, 1, NULL),
('touring', 'Touring rider', 'relationship', 0, 0, 1, NULL),
('key-customer', 'Key customer', 'relationship', 1, 0, 1, NULL),
('referral', 'Recommends us', 'relationship', 0, 0, 1, NULL),
('complaint', 'Complaint', 'relationship', 1, 1, 1, 365),
('fleet', 'Fleet customer', 'account', 0, 0, 1, NULL),
('leasing', 'Leasing customer', 'account', 0, 0, 1, NULL),
('dunned', 'Dunned', 'account', 0, 1, 1, 365),
('newsletter', 'Newsletter', 'contact', 0, 0, 1, NULL),
('sms-sent', 'SMS sent', 'contact', 0, 1, 1, 365),
('email-sent', 'Email sent', 'contact', 0, 1, 1, 365),
('letter-sent', 'Letter sent', 'contact', 0, 1, 1, 365),
('do-not-contact', 'Do not contact', 'contact', 0, 0, 1, NULL);
"""

V8 = """
-- The seed examples of the tags as ready-made desktop views (relative dates keep them true).
INSERT OR IGNORE INTO saved_views (name, screen, definition, created_by, created_at) VALUES
('Tags: inspection customers not seen for a year', 'desktop',
 '{"search": "", "filters": [["tags", "inspection"], ["last_visit", "<-1y"]],
   "sort": "last_visit", "descending": false}',
 'retention-tui', '2026-12-04 00:00:00'),
('Tags: customers with a complaint', 'desktop',
 '{"search": "", "filters": [["tags", "complaint"]],
   "sort": "name", "descending": false}',
 'retention-tui', '2026-12-04 00:00:00'),
('Tags: a test ride in the last six months', 'desktop',
 '{"search": "", "filters": [["tags", "test-ride set:-6m.."]],
   "sort": "name", "descending": false}',
 'retention-tui', '2026-12-04 00:00:00'),
('Tags: bought a vehicle here, no workshop visit since', 'desktop',
 '{"search": "", "filters": [["tags", "bought-here unseen"]],
   "sort": "name", "descending": false}',
 'retention-tui', '2026-12-04 00:00:00');
"""

V9 = """
-- Messages (issue 9). Templates gain a key for the built-in ones, an owner and retirement;
-- the outbox is rebuilt for its full life: unknown (the fate of a message whose sender died or
-- whose gateway did not answer after the send) and cancelled, who claimed it and when, the
-- batch of a bulk send, the voucher code and the provider's id.
ALTER TABLE message_templates ADD COLUMN key TEXT;
ALTER TABLE message_templates ADD COLUMN builtin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message_templates ADD COLUMN created_by TEXT;
ALTER TABLE message_templates ADD COLUMN created_at TEXT;
ALTER TABLE message_templates ADD COLUMN retired_at TEXT;
CREATE UNIQUE INDEX message_templates_key ON message_templates(key) WHERE key IS NOT NULL;

CREATE TABLE outbox_v9 (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
    recipient       TEXT NOT NULL,
    subject         TEXT,
    body            TEXT NOT NULL,
    template_id     INTEGER REFERENCES message_templates(id) ON DELETE SET NULL,
    idempotency_key TEXT NOT NULL UNIQUE,   -- the Message-ID / client reference: never twice
    status          TEXT NOT NULL DEFAULT 'queued' CHECK (status IN
                        ('queued', 'sending', 'sent', 'failed', 'unknown', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    operator        TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    batch           TEXT,                   -- one bulk send
    claimed_by      TEXT,                   -- the sender (host:pid:id) while sending
    claimed_at      TEXT,
    provider_id     TEXT,                   -- what the SMTP server or gateway called it
    voucher         TEXT
);
INSERT INTO outbox_v9 (id, customer_id, channel, recipient, subject, body, template_id,
    idempotency_key, status, attempts, next_attempt_at, last_error, operator, created_at,
    sent_at)
SELECT id, customer_id, channel, recipient, subject, body, template_id, idempotency_key,
    status, attempts, next_attempt_at, last_error, operator, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v9 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(status, channel, next_attempt_at);
CREATE INDEX outbox_customer ON outbox(customer_id, created_at);
CREATE INDEX outbox_batch ON outbox(batch) WHERE batch IS NOT NULL;
CREATE INDEX outbox_claimed ON outbox(channel, claimed_at) WHERE claimed_at IS NOT NULL;

INSERT OR IGNORE INTO message_templates (key, builtin, name, channel, subject, body) VALUES
('feedback-email', 1, 'Feedback request after departure (email)', 'email',
 'May we ask you something, {name}?',
 'Dear {name},' || char(10) || char(10)
 || 'We last saw your {vehicle} on {last_visit}, and we miss you. Whatever made you go '
 || 'elsewhere, we would like to know: a short reply to this email is enough, and it helps us '
 || 'do better.' || char(10) || char(10) || 'Kind regards,' || char(10) || '{advisor}, {workshop}'),
('feedback-sms', 1, 'Feedback request after departure (SMS)', 'sms', NULL,
 'Hello {name}, we have not seen your {vehicle} since {last_visit}. Would you tell us why? '
 || 'Just reply to this message. Thank you! {workshop}'),
('miss-you-email', 1, 'We miss you, with a voucher (email)', 'email',
 'We miss you and your {vehicle}',
 'Dear {name},' || char(10) || char(10)
 || 'Your last visit was on {last_visit}, {months_away} months ago. We would be glad to see '
 || 'you again: this voucher gives you {offer}, and we check your {vehicle} for free.'
 || char(10) || char(10) || 'Voucher code: {voucher}' || char(10) || char(10)
 || 'Kind regards,' || char(10) || '{advisor}, {workshop}'),
('miss-you-sms', 1, 'We miss you, with a voucher (SMS)', 'sms', NULL,
 'Hello {name}, we miss your {vehicle}! With code {voucher} you get {offer} and a free '
 || 'check. Call us to book. {workshop}'),
('miss-you-letter', 1, 'We miss you, with a voucher (letter)', 'letter',
 'We miss you and your {vehicle}',
 'Dear {name},' || char(10) || char(10)
 || 'Your last visit was on {last_visit}, {months_away} months ago. We enclose a voucher for '
 || '{offer} and will check your {vehicle} ({plate}) for free.' || char(10) || char(10)
 || 'Voucher code: {voucher}' || char(10) || char(10) || 'Kind regards,' || char(10)
 || '{advisor}, {workshop}'),
('mot-due-sms', 1, 'MOT due (SMS)', 'sms', NULL,
 'Hello {name}, the MOT of your {vehicle} ({plate}) is due soon. Reply or call us to book a '
 || 'time. {workshop}'),
('mot-due-email', 1, 'MOT due (email)', 'email', 'The MOT of your {vehicle} is due',
 'Dear {name},' || char(10) || char(10)
 || 'The MOT of your {vehicle} ({plate}) is due soon. Reply to this email or call us to book '
 || 'a time that suits you.' || char(10) || char(10) || 'Kind regards,' || char(10)
 || '{advisor}, {workshop}'),
('thank-you-sms', 1, 'Thank you after a service (SMS)', 'sms', NULL,
 'Thank you for your visit, {name}! Is everything all right with your {vehicle}? Just reply '
 || 'if not. {workshop}'),
('thank-you-email', 1, 'Thank you after a service (email)', 'email',
 'Thank you for your visit, {name}',
 'Dear {name},' || char(10) || char(10)
 || 'Thank you for bringing your {vehicle} to us on {last_visit}. If anything is not as it '
 || 'should be, just reply to this email.' || char(10) || char(10) || 'Kind regards,'
 || char(10) || '{advisor}, {workshop}');
"""

V10 = """
-- Tag filters at a million customers. A filter's validity test is written
-- coalesce(valid_until, '9999-12-31') >= today with the no-end date as a literal, so this
-- index answers "valid bookings of these tags" without reading expired rows or the table.
CREATE INDEX customer_tags_valid
    ON customer_tags(tag_id, coalesce(valid_until, '9999-12-31'), customer_id);
-- One customer's bookings without the table: the per-customer test while a first page walks
-- the sort index. It starts with customer_id, so it also serves what customer_tags_customer did.
CREATE INDEX customer_tags_customer_valid ON customer_tags(customer_id, valid_until, tag_id);
DROP INDEX customer_tags_customer;
"""

V11 = """
-- "inspection follow-up": the bookings with a follow-up are a few percent of all; with the tag,
-- validity and customer in the index, a follow-up filter reads neither the table nor the
-- bookings without a follow-up (the agenda reads the same index).
DROP INDEX customer_tags_follow_up;
CREATE INDEX customer_tags_follow_up
    ON customer_tags(follow_up_on, tag_id, valid_until, customer_id)
    WHERE follow_up_on IS NOT NULL;
"""

MIGRATIONS: list[str] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11]
SCHEMA_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version stored in the file (0 for a new file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_version(conn: sqlite3.Connection, path: str | Path) -> int:
    """Return the file's version, refusing one newer than this program understands."""
    try:
        found = user_version(conn)
    except sqlite3.Error as error:
        raise _explain(error, path) from error
    if found > SCHEMA_VERSION:
        raise NewerDatabaseError(
            _(
                "{path} was written by a newer retention-tui (schema version {found}); this "
                "program understands up to version {known}. Update retention-tui to open it; "
                "the file was not changed."
            ).format(path=path, found=found, known=SCHEMA_VERSION)
        )
    if found == 0:
        try:
            foreign = [
                name
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
                    " LIMIT 4"
                )
            ]
        except sqlite3.Error as error:
            raise _explain(error, path) from error
        if foreign:  # another program's database: never write our tables into it
            raise RetentionError(
                _(
                    "{path} is an SQLite database of another program (it holds {names}); "
                    "retention-tui will not write into it. Choose another file with --db."
                ).format(
                    path=path, names=", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                )
            )
    return found


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit on its own)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema up to ``target``, one version per transaction; return the version."""
    path = conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:"
    version = check_version(conn, path)
    while version < target:
        with write(conn):
            # Another process may have migrated between our check and our lock.
            version = user_version(conn)
            if version >= target:
                break
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
            version += 1
            conn.execute(f"PRAGMA user_version = {version}")
    return version
