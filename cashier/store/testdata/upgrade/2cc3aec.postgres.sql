CREATE FUNCTION audits_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
	RAISE EXCEPTION 'audit rows are append-only: % refused', TG_OP;
END $$;
CREATE FUNCTION breaks_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
	RAISE EXCEPTION 'breaks are append-only: % refused', TG_OP;
END $$;
CREATE TABLE account_registrations (
    id bigint NOT NULL,
    token character varying(64) NOT NULL,
    player_id bigint NOT NULL,
    bank_account_id bigint,
    known boolean DEFAULT false NOT NULL,
    problem_id character varying(64) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone NOT NULL,
    done_at timestamp with time zone
);
CREATE SEQUENCE account_registrations_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE account_registrations_id_seq OWNED BY account_registrations.id;
CREATE TABLE api_calls (
    id bigint NOT NULL,
    order_id bigint DEFAULT 0 NOT NULL,
    player_id bigint DEFAULT 0 NOT NULL,
    method character varying(32) NOT NULL,
    request text NOT NULL,
    response text DEFAULT ''::text NOT NULL,
    error_code bigint DEFAULT 0 NOT NULL,
    error character varying(500) DEFAULT ''::character varying NOT NULL,
    latency_ms bigint DEFAULT 0 NOT NULL,
    at timestamp with time zone NOT NULL
);
CREATE SEQUENCE api_calls_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE api_calls_id_seq OWNED BY api_calls.id;
CREATE TABLE audits (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    staff_id bigint DEFAULT 0 NOT NULL,
    staff_email character varying(254) DEFAULT ''::character varying NOT NULL,
    role character varying(16) DEFAULT ''::character varying NOT NULL,
    event character varying(64) NOT NULL,
    order_id bigint DEFAULT 0 NOT NULL,
    player_id bigint DEFAULT 0 NOT NULL,
    subject_id bigint DEFAULT 0 NOT NULL,
    before text DEFAULT '{}'::text NOT NULL,
    after text DEFAULT '{}'::text NOT NULL,
    reason character varying(500) DEFAULT ''::character varying NOT NULL,
    request_id character varying(32) DEFAULT ''::character varying NOT NULL
);
CREATE SEQUENCE audits_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE audits_id_seq OWNED BY audits.id;
CREATE TABLE balances (
    account character varying(100) NOT NULL,
    currency character varying(3) NOT NULL,
    minor bigint DEFAULT 0 NOT NULL
);
CREATE TABLE bank_accounts (
    id bigint NOT NULL,
    player_id bigint NOT NULL,
    account_id character varying(64) NOT NULL,
    bank character varying(100) DEFAULT ''::character varying NOT NULL,
    descriptor character varying(100) DEFAULT ''::character varying NOT NULL,
    last_digits character varying(16) DEFAULT ''::character varying NOT NULL,
    clearing_house character varying(32) DEFAULT ''::character varying NOT NULL,
    verified boolean DEFAULT false NOT NULL,
    source character varying(16) NOT NULL,
    removed boolean DEFAULT false NOT NULL,
    payout_failure character varying(64) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE bank_accounts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE bank_accounts_id_seq OWNED BY bank_accounts.id;
CREATE TABLE breaks (
    id bigint NOT NULL,
    player_id bigint NOT NULL,
    kind character varying(32) NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    ends_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE breaks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE breaks_id_seq OWNED BY breaks.id;
CREATE TABLE deposit_limit_changes (
    id bigint NOT NULL,
    player_id bigint NOT NULL,
    currency character varying(3) NOT NULL,
    period character varying(8) NOT NULL,
    amount_minor bigint NOT NULL,
    previous_minor bigint DEFAULT 0 NOT NULL,
    requested_at timestamp with time zone NOT NULL,
    effective_at timestamp with time zone NOT NULL,
    flag character varying(200) DEFAULT ''::character varying NOT NULL
);
CREATE SEQUENCE deposit_limit_changes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE deposit_limit_changes_id_seq OWNED BY deposit_limit_changes.id;
CREATE TABLE entries (
    id bigint NOT NULL,
    transfer_id bigint NOT NULL,
    account character varying(100) NOT NULL,
    minor bigint NOT NULL
);
CREATE SEQUENCE entries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE entries_id_seq OWNED BY entries.id;
CREATE TABLE flag_resolutions (
    id bigint NOT NULL,
    order_id bigint DEFAULT 0 NOT NULL,
    notification_id bigint DEFAULT 0 NOT NULL,
    limit_change_id bigint DEFAULT 0 NOT NULL,
    flag character varying(2000) DEFAULT ''::character varying NOT NULL,
    note character varying(2000) NOT NULL,
    staff_id bigint NOT NULL,
    staff_email character varying(254) NOT NULL,
    at timestamp with time zone NOT NULL
);
CREATE SEQUENCE flag_resolutions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE flag_resolutions_id_seq OWNED BY flag_resolutions.id;
CREATE TABLE notifications (
    id bigint NOT NULL,
    notification_id character varying(64) NOT NULL,
    method character varying(32) NOT NULL,
    uuid character varying(64) NOT NULL,
    trustly_order_id character varying(64) NOT NULL,
    order_id bigint,
    raw text NOT NULL,
    answer text DEFAULT ''::text NOT NULL,
    status character varying(16) DEFAULT ''::character varying NOT NULL,
    deliveries bigint DEFAULT 1 NOT NULL,
    flag character varying(500) DEFAULT ''::character varying NOT NULL,
    received_at timestamp with time zone NOT NULL,
    last_delivery_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE notifications_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE notifications_id_seq OWNED BY notifications.id;
CREATE TABLE orders (
    id bigint NOT NULL,
    message_id character varying(64) NOT NULL,
    kind character varying(16) NOT NULL,
    player_id bigint NOT NULL,
    amount_minor bigint,
    amount_currency text,
    status character varying(24) NOT NULL,
    trustly_order_id character varying(64) DEFAULT ''::character varying NOT NULL,
    checkout_url character varying(2048) DEFAULT ''::character varying NOT NULL,
    flag character varying(2000) DEFAULT ''::character varying NOT NULL,
    pay_n_play boolean DEFAULT false NOT NULL,
    login_only boolean DEFAULT false NOT NULL,
    market character varying(2) DEFAULT ''::character varying NOT NULL,
    end_user_id character varying(64) DEFAULT ''::character varying NOT NULL,
    kyc_outcome character varying(16) DEFAULT ''::character varying NOT NULL,
    kyc_limit_minor bigint DEFAULT 0 NOT NULL,
    kyc_reasons character varying(2000) DEFAULT ''::character varying NOT NULL,
    kyc_message character varying(500) DEFAULT ''::character varying NOT NULL,
    kyc_text character varying(1000) DEFAULT ''::character varying NOT NULL,
    kyc_at timestamp with time zone,
    kyc_withdraw_only character varying(100) DEFAULT ''::character varying NOT NULL,
    signed_in_at timestamp with time zone,
    credited_minor bigint DEFAULT 0 NOT NULL,
    credit_held_at timestamp with time zone,
    debit_held_at timestamp with time zone,
    held_credit_id character varying(64) DEFAULT ''::character varying NOT NULL,
    held_debit_id character varying(64) DEFAULT ''::character varying NOT NULL,
    failed_at timestamp with time zone,
    started_at timestamp with time zone,
    pending_at timestamp with time zone,
    credited_at timestamp with time zone,
    debited_at timestamp with time zone,
    cancelled_at timestamp with time zone,
    abandoned_at timestamp with time zone,
    account_added_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    parent_id bigint DEFAULT 0 NOT NULL,
    returns_held boolean DEFAULT false NOT NULL,
    held_returned boolean DEFAULT false NOT NULL,
    bank_account_id bigint DEFAULT 0 NOT NULL,
    account_id character varying(64) DEFAULT ''::character varying NOT NULL,
    needs_approval boolean DEFAULT false NOT NULL,
    window_minor bigint DEFAULT 0 NOT NULL,
    decided_by bigint DEFAULT 0 NOT NULL,
    reason character varying(500) DEFAULT ''::character varying NOT NULL,
    transfer_state character varying(32) DEFAULT ''::character varying NOT NULL,
    transfer_checks bigint DEFAULT 0 NOT NULL,
    transfer_checked_at timestamp with time zone,
    attempts bigint DEFAULT 0 NOT NULL,
    attempted_at timestamp with time zone,
    ledger_checks bigint DEFAULT 0 NOT NULL,
    ledger_checked_at timestamp with time zone,
    approved_at timestamp with time zone,
    denied_at timestamp with time zone,
    outcome_unknown_at timestamp with time zone,
    checking_at timestamp with time zone,
    sent_at timestamp with time zone,
    confirmed_at timestamp with time zone,
    payout_failed_at timestamp with time zone,
    released_at timestamp with time zone,
    returned_at timestamp with time zone
);
CREATE SEQUENCE orders_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE orders_id_seq OWNED BY orders.id;
CREATE TABLE player_notes (
    id bigint NOT NULL,
    player_id bigint NOT NULL,
    staff_id bigint NOT NULL,
    staff_email character varying(254) NOT NULL,
    text character varying(2000) NOT NULL,
    at timestamp with time zone NOT NULL
);
CREATE SEQUENCE player_notes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE player_notes_id_seq OWNED BY player_notes.id;
CREATE TABLE players (
    id bigint NOT NULL,
    end_user_id character varying(64) NOT NULL,
    email character varying(254),
    password_hash character varying(255) DEFAULT ''::character varying NOT NULL,
    first_name character varying(100) DEFAULT ''::character varying NOT NULL,
    last_name character varying(100) DEFAULT ''::character varying NOT NULL,
    country character varying(2) NOT NULL,
    currency character varying(3) NOT NULL,
    role character varying(16) DEFAULT 'player'::character varying NOT NULL,
    person_id character varying(64),
    kyc_entity_id character varying(64),
    date_of_birth character varying(10) DEFAULT ''::character varying NOT NULL,
    name_key character varying(401) DEFAULT ''::character varying NOT NULL,
    street character varying(200) DEFAULT ''::character varying NOT NULL,
    zipcode character varying(200) DEFAULT ''::character varying NOT NULL,
    city character varying(200) DEFAULT ''::character varying NOT NULL,
    kyc_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    session_version bigint DEFAULT 0 NOT NULL,
    blocked boolean DEFAULT false NOT NULL,
    language character varying(8) DEFAULT ''::character varying NOT NULL
);
CREATE SEQUENCE players_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE players_id_seq OWNED BY players.id;
CREATE TABLE rate_counters (
    name character varying(255) NOT NULL,
    value bytea NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    hits bigint DEFAULT 0 NOT NULL
);
CREATE TABLE staff (
    id bigint NOT NULL,
    email character varying(254) NOT NULL,
    password_hash character varying(255) NOT NULL,
    role character varying(16) NOT NULL,
    totp_secret character varying(255) DEFAULT ''::character varying NOT NULL,
    totp_enabled boolean DEFAULT false NOT NULL,
    totp_last_step bigint DEFAULT 0 NOT NULL,
    disabled boolean DEFAULT false NOT NULL,
    must_change_password boolean DEFAULT false NOT NULL,
    failed_codes bigint DEFAULT 0 NOT NULL,
    codes_locked_until timestamp with time zone,
    session_version bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone
);
CREATE TABLE staff_approvals (
    id bigint NOT NULL,
    order_id bigint NOT NULL,
    staff_id bigint NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE staff_approvals_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE staff_approvals_id_seq OWNED BY staff_approvals.id;
CREATE SEQUENCE staff_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE staff_id_seq OWNED BY staff.id;
CREATE TABLE transfers (
    id bigint NOT NULL,
    reference character varying(191) NOT NULL,
    currency character varying(3) NOT NULL,
    memo character varying(255) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE transfers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE transfers_id_seq OWNED BY transfers.id;
CREATE TABLE trustly_polls (
    method character varying(32) NOT NULL,
    asked_at timestamp with time zone,
    answer text DEFAULT ''::text NOT NULL,
    claimed_at timestamp with time zone
);
ALTER TABLE ONLY account_registrations ALTER COLUMN id SET DEFAULT nextval('account_registrations_id_seq'::regclass);
ALTER TABLE ONLY api_calls ALTER COLUMN id SET DEFAULT nextval('api_calls_id_seq'::regclass);
ALTER TABLE ONLY audits ALTER COLUMN id SET DEFAULT nextval('audits_id_seq'::regclass);
ALTER TABLE ONLY bank_accounts ALTER COLUMN id SET DEFAULT nextval('bank_accounts_id_seq'::regclass);
ALTER TABLE ONLY breaks ALTER COLUMN id SET DEFAULT nextval('breaks_id_seq'::regclass);
ALTER TABLE ONLY deposit_limit_changes ALTER COLUMN id SET DEFAULT nextval('deposit_limit_changes_id_seq'::regclass);
ALTER TABLE ONLY entries ALTER COLUMN id SET DEFAULT nextval('entries_id_seq'::regclass);
ALTER TABLE ONLY flag_resolutions ALTER COLUMN id SET DEFAULT nextval('flag_resolutions_id_seq'::regclass);
ALTER TABLE ONLY notifications ALTER COLUMN id SET DEFAULT nextval('notifications_id_seq'::regclass);
ALTER TABLE ONLY orders ALTER COLUMN id SET DEFAULT nextval('orders_id_seq'::regclass);
ALTER TABLE ONLY player_notes ALTER COLUMN id SET DEFAULT nextval('player_notes_id_seq'::regclass);
ALTER TABLE ONLY players ALTER COLUMN id SET DEFAULT nextval('players_id_seq'::regclass);
ALTER TABLE ONLY staff ALTER COLUMN id SET DEFAULT nextval('staff_id_seq'::regclass);
ALTER TABLE ONLY staff_approvals ALTER COLUMN id SET DEFAULT nextval('staff_approvals_id_seq'::regclass);
ALTER TABLE ONLY transfers ALTER COLUMN id SET DEFAULT nextval('transfers_id_seq'::regclass);
INSERT INTO api_calls VALUES (1, 1, 1, 'Deposit', '{"NotificationURL":"https://cashier.example.com/trustly/notify/[token]","EndUserID":"p-79cbb2a1d4bd68bd6ea1","MessageID":"dep-4d7172d4e2b3f5cee3de9b87","Currency":"EUR","Amount":"70.00","SuggestedMinAmount":"","SuggestedMaxAmount":"","Firstname":"Juha","Lastname":"Hämäläinen","Email":"juha.hamalainen.1@example.com","MobilePhone":"","Country":"FI","Locale":"fi_FI","ShopperStatement":"Casino","IP":"203.0.113.34","SuccessURL":"https://cashier.example.com/deposit/success?order=dep-4d7172d4e2b3f5cee3de9b87","FailURL":"https://cashier.example.com/deposit/fail?order=dep-4d7172d4e2b3f5cee3de9b87","URLTarget":"","TemplateURL":"","NationalIdentificationNumber":"","UnchangeableNationalIdentificationNumber":false,"AccountID":"","RequestKYC":false,"HoldNotifications":false,"IntegrationModule":"cashier/1","Extra":null}', '{"OrderID":"1400000001","URL":"https://checkout.test.trustly.com/4d7172d4e2b3/checkout?session=f5cee3de9b87"}', 0, '', 540, '2026-11-01 17:44:12+00');
INSERT INTO api_calls VALUES (2, 2, 1, 'AccountPayout', '{"NotificationURL":"https://cashier.example.com/trustly/notify/[token]","EndUserID":"p-79cbb2a1d4bd68bd6ea1","MessageID":"pay-54c7a310f9ec6802be0137c5","AccountID":"2000000002","Amount":"25.00","Currency":"EUR","ShopperStatement":"Casino","ExternalReference":"","Extra":null}', '{"OrderID":"1400000002"}', 0, '', 339, '2026-11-07 16:35:17.956+00');
INSERT INTO api_calls VALUES (3, 3, 1, 'AccountPayout', '{"NotificationURL":"https://cashier.example.com/trustly/notify/[token]","EndUserID":"p-79cbb2a1d4bd68bd6ea1","MessageID":"pay-29a2496e39c09eea9bbed6ac","AccountID":"2000000002","Amount":"27.00","Currency":"EUR","ShopperStatement":"Casino","ExternalReference":"","Extra":null}', '{"OrderID":"1400000003"}', 0, '', 605, '2026-11-09 11:32:07.904+00');
INSERT INTO audits VALUES (1, '2026-12-06 19:52:49.110462+00', 0, '', '', 'staff.owner_ensured', 0, 0, 1, '{}', '{"disabled":false,"email":"owner@example.com","role":"owner","temporary_password":false,"totp":false}', '', '');
INSERT INTO balances VALUES ('operator:games', 'EUR', 100);
INSERT INTO balances VALUES ('operator:games', 'SEK', 31000);
INSERT INTO balances VALUES ('player:1:reserved', 'EUR', 0);
INSERT INTO balances VALUES ('player:1:wallet', 'EUR', 1700);
INSERT INTO balances VALUES ('player:2:reserved', 'SEK', 0);
INSERT INTO balances VALUES ('player:2:wallet', 'SEK', 43300);
INSERT INTO balances VALUES ('trustly:clearing', 'EUR', -1800);
INSERT INTO balances VALUES ('trustly:clearing', 'SEK', -74300);
INSERT INTO bank_accounts VALUES (1, 1, '2000000001', 'Aktia', '**526133', '526133', 'FINLAND', true, 'deposit', false, '', '2026-11-01 17:45:12+00', '2026-11-01 17:45:12+00');
INSERT INTO bank_accounts VALUES (2, 1, '2000000002', 'Danske Bank', '**689157', '689157', 'FINLAND', true, 'deposit', false, '', '2026-11-01 17:46:12+00', '2026-11-01 17:46:12+00');
INSERT INTO bank_accounts VALUES (3, 2, '2000000003', 'Nordea', '**434685', '434685', 'SWEDEN', true, 'deposit', false, '', '2026-11-22 21:46:31+00', '2026-11-22 21:46:31+00');
INSERT INTO bank_accounts VALUES (4, 2, '2000000004', 'Handelsbanken', '**430253', '430253', 'SWEDEN', true, 'deposit', false, '', '2026-11-22 21:47:31+00', '2026-11-22 21:47:31+00');
INSERT INTO deposit_limit_changes VALUES (1, 1, 'EUR', 'day', 50000, 0, '2026-11-01 17:36:12+00', '2026-11-01 17:36:12+00', '');
INSERT INTO deposit_limit_changes VALUES (2, 1, 'EUR', 'month', 200000, 0, '2026-11-01 17:36:12+00', '2026-11-01 17:36:12+00', '');
INSERT INTO deposit_limit_changes VALUES (3, 2, 'SEK', 'month', 2000000, 0, '2026-11-22 21:40:31+00', '2026-11-22 21:40:31+00', '');
INSERT INTO entries VALUES (1, 1, 'player:1:wallet', 7000);
INSERT INTO entries VALUES (2, 1, 'trustly:clearing', -7000);
INSERT INTO entries VALUES (3, 2, 'player:1:reserved', 2500);
INSERT INTO entries VALUES (4, 2, 'player:1:wallet', -2500);
INSERT INTO entries VALUES (5, 3, 'player:1:reserved', -2500);
INSERT INTO entries VALUES (6, 3, 'trustly:clearing', 2500);
INSERT INTO entries VALUES (7, 4, 'player:1:reserved', 2700);
INSERT INTO entries VALUES (8, 4, 'player:1:wallet', -2700);
INSERT INTO entries VALUES (9, 5, 'player:1:reserved', -2700);
INSERT INTO entries VALUES (10, 5, 'trustly:clearing', 2700);
INSERT INTO entries VALUES (11, 6, 'operator:games', -100);
INSERT INTO entries VALUES (12, 6, 'player:1:wallet', 100);
INSERT INTO entries VALUES (13, 7, 'player:2:wallet', 245000);
INSERT INTO entries VALUES (14, 7, 'trustly:clearing', -245000);
INSERT INTO entries VALUES (15, 8, 'player:2:wallet', 120000);
INSERT INTO entries VALUES (16, 8, 'trustly:clearing', -120000);
INSERT INTO entries VALUES (17, 9, 'operator:games', 54700);
INSERT INTO entries VALUES (18, 9, 'player:2:wallet', -54700);
INSERT INTO entries VALUES (19, 10, 'player:2:reserved', 55000);
INSERT INTO entries VALUES (20, 10, 'player:2:wallet', -55000);
INSERT INTO entries VALUES (21, 11, 'player:2:reserved', -55000);
INSERT INTO entries VALUES (22, 11, 'trustly:clearing', 55000);
INSERT INTO entries VALUES (23, 12, 'player:2:reserved', 232300);
INSERT INTO entries VALUES (24, 12, 'player:2:wallet', -232300);
INSERT INTO entries VALUES (25, 13, 'player:2:reserved', -232300);
INSERT INTO entries VALUES (26, 13, 'trustly:clearing', 232300);
INSERT INTO entries VALUES (27, 14, 'player:2:wallet', 65000);
INSERT INTO entries VALUES (28, 14, 'trustly:clearing', -65000);
INSERT INTO entries VALUES (29, 15, 'operator:games', -3000);
INSERT INTO entries VALUES (30, 15, 'player:2:wallet', 3000);
INSERT INTO entries VALUES (31, 16, 'player:2:reserved', 18700);
INSERT INTO entries VALUES (32, 16, 'player:2:wallet', -18700);
INSERT INTO entries VALUES (33, 17, 'player:2:reserved', -18700);
INSERT INTO entries VALUES (34, 17, 'trustly:clearing', 18700);
INSERT INTO entries VALUES (35, 18, 'player:2:reserved', 4700);
INSERT INTO entries VALUES (36, 18, 'player:2:wallet', -4700);
INSERT INTO entries VALUES (37, 19, 'player:2:reserved', -4700);
INSERT INTO entries VALUES (38, 19, 'trustly:clearing', 4700);
INSERT INTO entries VALUES (39, 20, 'operator:games', 300);
INSERT INTO entries VALUES (40, 20, 'player:2:wallet', -300);
INSERT INTO entries VALUES (41, 21, 'player:2:wallet', 55000);
INSERT INTO entries VALUES (42, 21, 'trustly:clearing', -55000);
INSERT INTO entries VALUES (43, 22, 'player:2:wallet', 15000);
INSERT INTO entries VALUES (44, 22, 'trustly:clearing', -15000);
INSERT INTO entries VALUES (45, 23, 'player:2:reserved', 50000);
INSERT INTO entries VALUES (46, 23, 'player:2:wallet', -50000);
INSERT INTO entries VALUES (47, 24, 'player:2:reserved', -50000);
INSERT INTO entries VALUES (48, 24, 'trustly:clearing', 50000);
INSERT INTO entries VALUES (49, 25, 'player:2:wallet', -65000);
INSERT INTO entries VALUES (50, 25, 'trustly:clearing', 65000);
INSERT INTO entries VALUES (51, 26, 'operator:games', -20000);
INSERT INTO entries VALUES (52, 26, 'player:2:wallet', 20000);
INSERT INTO entries VALUES (53, 27, 'operator:games', -20000);
INSERT INTO entries VALUES (54, 27, 'player:2:wallet', 20000);
INSERT INTO entries VALUES (55, 28, 'operator:games', 2400);
INSERT INTO entries VALUES (56, 28, 'player:2:wallet', -2400);
INSERT INTO entries VALUES (57, 29, 'operator:games', 8900);
INSERT INTO entries VALUES (58, 29, 'player:2:wallet', -8900);
INSERT INTO entries VALUES (59, 30, 'operator:games', 3500);
INSERT INTO entries VALUES (60, 30, 'player:2:wallet', -3500);
INSERT INTO entries VALUES (61, 31, 'operator:games', 4200);
INSERT INTO entries VALUES (62, 31, 'player:2:wallet', -4200);
INSERT INTO entries VALUES (63, 32, 'operator:games', 200);
INSERT INTO entries VALUES (64, 32, 'player:1:wallet', -200);
INSERT INTO notifications VALUES (1, '3000000001', 'account', 'e3d8e0e4-1634-4b1f-974c-4dff888968ed', '1400000001', 1, '{"method":"account","params":{"data":{"accountid":"2000000001","attributes":{"bank":"Aktia","clearinghouse":"FINLAND","descriptor":"**526133","lastdigits":"526133"},"messageid":"dep-4d7172d4e2b3f5cee3de9b87","notificationid":"3000000001","orderid":"1400000001","verified":"1"},"signature":"BvO6V/yS9y6K3EkeZyWk9XRyh8lOx3UuSdUXkmuf+m692w2ORQw3F8K6eDJm9K7KmSncwAGRacS+ZZY0y4bBN2keAfe7/+73sg+QghNPwmvgp00Q+4Au/wBvnQsa8OjXUxKDNRxwSf32k257UKh+fQjrD6BN1bl9m4Q4cO4aj5Ro8ZILxWpREC7h8/eUQ0NDZtc+hBk4Exl7YquHLwE6ONoqNb3mReiUxRThLzYwWh8jMYsRhnDq6ISVu6+gr9QMBcN9on/bhbj1G4AYTfzHh+1TAdxJEw7d5yCYI52VK53s/1I7yrXrDZzwOZ5vn2LQsNPs8rjlh1Dfj8Tc8vponQ==","uuid":"e3d8e0e4-1634-4b1f-974c-4dff888968ed"},"version":"1.1"}', '{"result":{"data":{"status":"OK"},"method":"account","signature":"XGfEwImMxYQ6j40U8aj60hNl3nIgElgaD9PmQw8SNBH5uQ9dfGZ2shJFJjJuJxfwWoMm9nDYUMP/6KBuWgN62TZ3D4hphXsDSQuxWda8hZ30oNEFGom1akTIabAAG1E+8x4Fq0pkW0rV1sZ05MfxhTQvQrfcsjNuDIY4LwyedUyDx1gI7sjtpOOYYGr3WH3m2u6roWoOHV1XwqzMzpFPE7uovVBIC+WEWmqihDhy774Q54BYHNgBm8z0eaf0NlJdzTQ/Q5mk+BLa5aGeQHXjFTNm13Ay3IFN0nIm2AvIpOj05oX487+zh663wAe671eULOqBRmUujK1xm84ceNtK5w==","uuid":"e3d8e0e4-1634-4b1f-974c-4dff888968ed"},"version":"1.1"}', 'OK', 1, '', '2026-11-01 17:45:30+00', '2026-11-01 17:45:30+00');
INSERT INTO notifications VALUES (2, '3000000002', 'pending', 'f55d0e5f-c936-4782-8f54-b7a7b40681ce', '1400000001', 1, '{"method":"pending","params":{"data":{"amount":"70.00","attributes":{},"currency":"EUR","enduserid":"p-79cbb2a1d4bd68bd6ea1","messageid":"dep-4d7172d4e2b3f5cee3de9b87","notificationid":"3000000002","orderid":"1400000001","timestamp":"2026-11-01 17:45:31.000000+00"},"signature":"xxjGvZTEmStt3HQGsn2LZ6r1jEMrQnST1nxW9K1Ph8EwosD2pmnBHrrbCGNV7D44ryNLWDX8aiL5nGTpSgr4Y0u8SkNIQhTR6ubc0+FTTAWcQkvFx/bMyzyDvZVfs0btseygeTA0mqvscCkiSwTlNH5FEWwK0zp3nlw1/hd8oyIG+U6juGygGQCDv/MFjEdjAnZE1YVMTdplbeB19h4hM+rPK8Pxl617gvUgpstsKyvcGlxUi+8HL7thY6Jw0rQ2PeTIhXzheppGhtc3ghcvEkD8Kcs3pexbEI2MAjhpO9nh5/dlGLIAXbXvooiRtnTxp2L0mCJXHGsXmhmG6x6jUg==","uuid":"f55d0e5f-c936-4782-8f54-b7a7b40681ce"},"version":"1.1"}', '{"result":{"data":{"status":"OK"},"method":"pending","signature":"Xo85LLgc2xDjX1/jAMStKKp1g4/kcRYovO+H0HDro/6GlH1mfQbuJpVdudrvHMIieViakDK7tG+3Lwrp1kFCaeilD8dTG1mKrlwsdAOdp4bMfmgjUF9FYTl/oRZZvZQOpmE5iJylqQEN/xzN6AKtz84u+d4F9lJ78UGTIs2IqjQwNbH/zDazizpKZUwboDAgT6b3eqLWaM4o03PT3raJNim0UutmG1gIfCqOZGiNOBPV5UVwHemLng4oyN0qYGHeZunV0RRqMi/NWDeAuODHcDf2YfxdGgVNOyKEpJf73E41pVO4A6/IFZSplm+HNTsSDU0NaXYZ5Rps/6e3qiY2KQ==","uuid":"f55d0e5f-c936-4782-8f54-b7a7b40681ce"},"version":"1.1"}', 'OK', 1, '', '2026-11-01 17:45:31+00', '2026-11-01 17:45:31+00');
INSERT INTO notifications VALUES (3, '3000000003', 'credit', '923f6fe4-4636-498f-ac6d-657c7a7c799e', '1400000001', 1, '{"method":"credit","params":{"data":{"amount":"70.00","attributes":{},"currency":"EUR","enduserid":"p-79cbb2a1d4bd68bd6ea1","messageid":"dep-4d7172d4e2b3f5cee3de9b87","notificationid":"3000000003","orderid":"1400000001","timestamp":"2026-11-01 17:47:58.000000+00"},"signature":"XvOL0T2yeLmvGeoafbgs8CKU7Vbn1CVLPKp7xKSssNeamtNpHk5Q2Ldy6kTEybZumnblq+pu2ZMEJzyTYcH53hRv8VIYUfzTctOseQ1mfv5YorcvfWzjqkShABx2iDqIu45BD1I8/OuLhA0OJ5CGSv7h+qyyIaeW3oSysDgPkyYCSx9LiqNbT6MHr3u8dKmk2iGqF4S0lMN76pGHJr1zJPZ+lBXEMPCFUwRdCbEh12fdWy+wFqQ3viSBAcz/dKDHcRqV7V0uayZeuowgPvhDiSeP3C+nASxgEKp6I3fuw5PAG8njEkw/5pkv8KfnH4sSLz2Y7uW8GEMdv3hHZVVB7A==","uuid":"923f6fe4-4636-498f-ac6d-657c7a7c799e"},"version":"1.1"}', '{"result":{"data":{"status":"OK"},"method":"credit","signature":"zyoYFuDtcn3E2AGNdZjnfjrOFe6cOrpxiPATvAasMEJxqod26WHQQ/Uv20sZyFFPY7qIQSAGznGmls4uydprvSIhrDS8nuDeHqz9Co6CbPLexu5KF2qtWY8tsO3m+C7c/b6NA5dpSXxrw2BdYKnxy/6IPgbf5GsgAU7RMEY/2zb5vposnjC1Puk1YYNDh87kx8XXZWFpuTPyucNi0P638Ev/hrm4ScCJYW4/dxvtnIDTVguz8Q+yUeQmUmOeI8hy3p19+qj7KjyL08tA2NVnBYNdPfjHd3mj1uAtptHtvsVAzvQ6UkMrQCcnMBgNZ9W7Op7ffMa2e90xxgdmKAiiLQ==","uuid":"923f6fe4-4636-498f-ac6d-657c7a7c799e"},"version":"1.1"}', 'OK', 1, '', '2026-11-01 17:47:58+00', '2026-11-01 17:47:58+00');
INSERT INTO orders VALUES (1, 'dep-4d7172d4e2b3f5cee3de9b87', 'deposit', 1, 7000, 'EUR', 'credited', '1400000001', 'https://checkout.test.trustly.com/4d7172d4e2b3/checkout?session=f5cee3de9b87', '', false, false, '', 'p-79cbb2a1d4bd68bd6ea1', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, '2026-11-01 17:44:12.8+00', '2026-11-01 17:45:31+00', '2026-11-01 17:47:58+00', NULL, NULL, NULL, NULL, '2026-11-01 17:44:12+00', '2026-11-01 17:47:58+00', 0, false, false, 0, '', false, 0, 0, '', '', 0, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO orders VALUES (2, 'pay-54c7a310f9ec6802be0137c5', 'payout', 1, 2500, 'EUR', 'confirmed', '1400000002', '', '', false, false, '', 'p-79cbb2a1d4bd68bd6ea1', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-07 16:35:17.956+00', '2026-11-09 14:11:06.35+00', 0, false, false, 2, '2000000002', false, 0, 0, '', '', 0, NULL, 1, '2026-11-07 16:35:17.956+00', 0, NULL, NULL, NULL, NULL, NULL, '2026-11-07 16:35:19.35+00', '2026-11-09 14:11:06.35+00', NULL, NULL, NULL);
INSERT INTO orders VALUES (3, 'pay-29a2496e39c09eea9bbed6ac', 'payout', 1, 2700, 'EUR', 'confirmed', '1400000003', '', '', false, false, '', 'p-79cbb2a1d4bd68bd6ea1', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-09 11:32:07.904+00', '2026-11-10 02:30:07.935+00', 0, false, false, 2, '2000000002', false, 0, 0, '', '', 0, NULL, 1, '2026-11-09 11:32:07.904+00', 0, NULL, NULL, NULL, NULL, NULL, '2026-11-09 11:32:08.935+00', '2026-11-10 02:30:07.935+00', NULL, NULL, NULL);
INSERT INTO orders VALUES (4, 'dep-f8d73a9bd8991b64346c7a60', 'deposit', 2, 245000, 'SEK', 'credited', '1400000004', 'https://checkout.test.trustly.com/f8d73a9bd899/checkout?session=1b64346c7a60', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, '2026-11-22 21:45:31.8+00', '2026-11-22 21:47:10+00', '2026-11-22 21:52:45+00', NULL, NULL, NULL, NULL, '2026-11-22 21:45:31+00', '2026-11-22 21:52:45+00', 0, false, false, 0, '', false, 0, 0, '', '', 0, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO orders VALUES (5, 'dep-247b979c4561630d43767734', 'deposit', 2, 120000, 'SEK', 'credited', '1400000005', 'https://checkout.test.trustly.com/247b979c4561/checkout?session=630d43767734', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, '2026-11-23 01:10:27.053+00', '2026-11-23 01:11:49.253+00', '2026-11-23 01:24:10.253+00', NULL, NULL, NULL, NULL, '2026-11-23 01:10:26.253+00', '2026-11-23 01:24:10.253+00', 0, false, false, 0, '', false, 0, 0, '', '', 0, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO orders VALUES (6, 'dep-98ac5ac9ee7e32673ff97a25', 'deposit', 2, 225000, 'SEK', 'failed', '1400000006', 'https://checkout.test.trustly.com/98ac5ac9ee7e/checkout?session=32673ff97a25', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, '2026-11-23 03:57:21.777+00', NULL, NULL, NULL, '2026-11-23 04:06:51.977+00', NULL, NULL, '2026-11-23 03:57:20.977+00', '2026-11-23 04:06:51.977+00', 0, false, false, 0, '', false, 0, 0, '', '', 0, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO orders VALUES (7, 'pay-c76b11cd59183b17a4217e82', 'payout', 2, 55000, 'SEK', 'confirmed', '1400000007', '', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-23 14:56:48.538+00', '2026-11-24 14:50:44.201+00', 0, false, false, 4, '2000000004', false, 0, 0, '', '', 0, NULL, 1, '2026-11-23 14:56:48.538+00', 0, NULL, NULL, NULL, NULL, NULL, '2026-11-23 14:56:49.201+00', '2026-11-24 14:50:44.201+00', NULL, NULL, NULL);
INSERT INTO orders VALUES (8, 'dep-52c46974e56b0cc636f65933', 'deposit', 2, 120000, 'SEK', 'abandoned', '1400000008', 'https://checkout.test.trustly.com/52c46974e56b/checkout?session=0cc636f65933', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, '2026-11-23 15:06:10.487+00', NULL, NULL, NULL, NULL, '2026-11-23 15:37:39.687+00', NULL, '2026-11-23 15:06:09.687+00', '2026-11-23 15:37:39.687+00', 0, false, false, 0, '', false, 0, 0, '', '', 0, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO orders VALUES (9, 'pay-b6946742537aa0ef51f74ea6', 'payout', 2, 232300, 'SEK', 'confirmed', '1400000009', '', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-23 19:57:48.816+00', '2026-11-24 01:02:30.077+00', 0, false, false, 3, '2000000003', false, 0, 0, '', '', 0, NULL, 1, '2026-11-23 19:57:48.816+00', 0, NULL, NULL, NULL, NULL, NULL, '2026-11-23 19:57:50.077+00', '2026-11-24 01:02:30.077+00', NULL, NULL, NULL);
INSERT INTO orders VALUES (10, 'dep-3ddcf64818b855bce54cd0a2', 'deposit', 2, 40000, 'SEK', 'failed', '1400000010', 'https://checkout.test.trustly.com/3ddcf64818b8/checkout?session=55bce54cd0a2', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, '2026-11-24 00:11:09.112+00', NULL, NULL, NULL, '2026-11-24 00:19:40.312+00', NULL, NULL, '2026-11-24 00:11:08.312+00', '2026-11-24 00:19:40.312+00', 0, false, false, 0, '', false, 0, 0, '', '', 0, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO orders VALUES (11, 'dep-6d4ddad0c99ec3ea30f394e2', 'deposit', 2, 65000, 'SEK', 'debited', '1400000011', 'https://checkout.test.trustly.com/6d4ddad0c99e/checkout?session=c3ea30f394e2', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, '2026-11-25 01:25:11.87+00', '2026-11-25 01:26:37.07+00', '2026-11-25 01:39:22.07+00', '2026-11-26 19:27:57.07+00', NULL, NULL, NULL, '2026-11-25 01:25:11.07+00', '2026-11-26 19:27:57.07+00', 0, false, false, 0, '', false, 0, 0, '', '', 0, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO orders VALUES (12, 'pay-04d9882dbb59d4c8fd74dae8', 'payout', 2, 18700, 'SEK', 'confirmed', '1400000012', '', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-25 19:26:24.536+00', '2026-11-27 12:09:19.228+00', 0, false, false, 3, '2000000003', false, 0, 0, '', '', 0, NULL, 1, '2026-11-25 19:26:24.536+00', 0, NULL, NULL, NULL, NULL, NULL, '2026-11-25 19:26:26.228+00', '2026-11-27 12:09:19.228+00', NULL, NULL, NULL);
INSERT INTO orders VALUES (13, 'pay-3c853179a10747c3b111cc10', 'payout', 2, 4700, 'SEK', 'confirmed', '1400000013', '', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-26 01:11:48.278+00', '2026-11-26 15:03:21.057+00', 0, false, false, 3, '2000000003', false, 0, 0, '', '', 0, NULL, 1, '2026-11-26 01:11:48.278+00', 0, NULL, NULL, NULL, NULL, NULL, '2026-11-26 01:11:49.057+00', '2026-11-26 15:03:21.057+00', NULL, NULL, NULL);
INSERT INTO orders VALUES (14, 'dep-e0af12edf28659243e04c207', 'deposit', 2, 55000, 'SEK', 'credited', '1400000014', 'https://checkout.test.trustly.com/e0af12edf286/checkout?session=59243e04c207', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, '2026-11-26 03:27:58.678+00', '2026-11-26 03:29:21.878+00', '2026-11-26 03:35:55.878+00', NULL, NULL, NULL, NULL, '2026-11-26 03:27:57.878+00', '2026-11-26 03:35:55.878+00', 0, false, false, 0, '', false, 0, 0, '', '', 0, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO orders VALUES (15, 'dep-08b8b894a59de03404adb45d', 'deposit', 2, 15000, 'SEK', 'credited', '1400000015', 'https://checkout.test.trustly.com/08b8b894a59d/checkout?session=e03404adb45d', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, '2026-11-26 06:56:03.183+00', '2026-11-26 06:57:31.383+00', '2026-11-26 07:07:02.383+00', NULL, NULL, NULL, NULL, '2026-11-26 06:56:02.383+00', '2026-11-26 07:07:02.383+00', 0, false, false, 0, '', false, 0, 0, '', '', 0, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO orders VALUES (16, 'pay-61d5b9abfffd02e1b9457f2f', 'payout', 2, 50000, 'SEK', 'confirmed', '1400000016', '', '', false, false, '', 'p-fa83595d9f3634997901', '', 0, '', '', '', NULL, '', NULL, 0, NULL, NULL, '', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-11-26 10:05:04.216+00', '2026-11-27 03:12:09.523+00', 0, false, false, 3, '2000000003', false, 0, 0, '', '', 0, NULL, 1, '2026-11-26 10:05:04.216+00', 0, NULL, NULL, NULL, NULL, NULL, '2026-11-26 10:05:05.523+00', '2026-11-27 03:12:09.523+00', NULL, NULL, NULL);
INSERT INTO players VALUES (1, 'p-79cbb2a1d4bd68bd6ea1', 'juha.hamalainen.1@example.com', '$2a$10$PVTihOmHDrOf1Tu/awUO0eE7ZjN0BrICLk7.uNKRPWuchb/8LXiw.', 'Juha', 'Hämäläinen', 'FI', 'EUR', 'player', 'FI060968-2314', '', '1968-09-06', 'hamalainen|juha', '', '', '', NULL, '2026-11-01 17:35:12+00', 0, false, 'fi');
INSERT INTO players VALUES (2, 'p-fa83595d9f3634997901', 'anna.svensson.2@example.com', '$2a$10$PVTihOmHDrOf1Tu/awUO0eE7ZjN0BrICLk7.uNKRPWuchb/8LXiw.', 'Anna', 'Svensson', 'SE', 'SEK', 'player', 'SE197608040064', '', '1976-08-04', 'svensson|anna', '', '', '', NULL, '2026-11-22 21:39:31+00', 0, false, '');
INSERT INTO staff VALUES (1, 'owner@example.com', '$2a$10$b4R4jMeCyv8Xa.RxyuJLhO5xxYA49bvysqSu5RsFJev5gzjAcIaya', 'owner', '', false, 0, false, false, 0, NULL, 0, '2026-12-06 19:52:49.110462+00', '2026-12-06 19:52:49.110512+00');
INSERT INTO transfers VALUES (1, 'deposit:1:credit', 'EUR', 'Deposit via Trustly', '2026-11-01 17:47:58+00');
INSERT INTO transfers VALUES (2, 'payout:2:reserve', 'EUR', 'Payout reserved', '2026-11-07 16:35:17.956+00');
INSERT INTO transfers VALUES (3, 'payout:2:send', 'EUR', 'Payout via Trustly', '2026-11-07 16:35:19.35+00');
INSERT INTO transfers VALUES (4, 'payout:3:reserve', 'EUR', 'Payout reserved', '2026-11-09 11:32:07.904+00');
INSERT INTO transfers VALUES (5, 'payout:3:send', 'EUR', 'Payout via Trustly', '2026-11-09 11:32:08.935+00');
INSERT INTO transfers VALUES (6, 'game:6:win', 'EUR', 'Won', '2026-11-22 21:32:34.247+00');
INSERT INTO transfers VALUES (7, 'deposit:4:credit', 'SEK', 'Deposit via Trustly', '2026-11-22 21:52:45+00');
INSERT INTO transfers VALUES (8, 'deposit:5:credit', 'SEK', 'Deposit via Trustly', '2026-11-23 01:24:10.253+00');
INSERT INTO transfers VALUES (9, 'game:9:stake', 'SEK', 'Played', '2026-11-23 14:26:20.84+00');
INSERT INTO transfers VALUES (10, 'payout:7:reserve', 'SEK', 'Payout reserved', '2026-11-23 14:56:48.538+00');
INSERT INTO transfers VALUES (11, 'payout:7:send', 'SEK', 'Payout via Trustly', '2026-11-23 14:56:49.201+00');
INSERT INTO transfers VALUES (12, 'payout:9:reserve', 'SEK', 'Payout reserved', '2026-11-23 19:57:48.816+00');
INSERT INTO transfers VALUES (13, 'payout:9:send', 'SEK', 'Payout via Trustly', '2026-11-23 19:57:50.077+00');
INSERT INTO transfers VALUES (14, 'deposit:11:credit', 'SEK', 'Deposit via Trustly', '2026-11-25 01:39:22.07+00');
INSERT INTO transfers VALUES (15, 'game:15:win', 'SEK', 'Won', '2026-11-25 04:35:09.453+00');
INSERT INTO transfers VALUES (16, 'payout:12:reserve', 'SEK', 'Payout reserved', '2026-11-25 19:26:24.536+00');
INSERT INTO transfers VALUES (17, 'payout:12:send', 'SEK', 'Payout via Trustly', '2026-11-25 19:26:26.228+00');
INSERT INTO transfers VALUES (18, 'payout:13:reserve', 'SEK', 'Payout reserved', '2026-11-26 01:11:48.278+00');
INSERT INTO transfers VALUES (19, 'payout:13:send', 'SEK', 'Payout via Trustly', '2026-11-26 01:11:49.057+00');
INSERT INTO transfers VALUES (20, 'game:20:stake', 'SEK', 'Played', '2026-11-26 02:49:14.03+00');
INSERT INTO transfers VALUES (21, 'deposit:14:credit', 'SEK', 'Deposit via Trustly', '2026-11-26 03:35:55.878+00');
INSERT INTO transfers VALUES (22, 'deposit:15:credit', 'SEK', 'Deposit via Trustly', '2026-11-26 07:07:02.383+00');
INSERT INTO transfers VALUES (23, 'payout:16:reserve', 'SEK', 'Payout reserved', '2026-11-26 10:05:04.216+00');
INSERT INTO transfers VALUES (24, 'payout:16:send', 'SEK', 'Payout via Trustly', '2026-11-26 10:05:05.523+00');
INSERT INTO transfers VALUES (25, 'deposit:11:debit', 'SEK', 'Deposit returned by the bank', '2026-11-26 19:27:57.07+00');
INSERT INTO transfers VALUES (26, 'game:26:win', 'SEK', 'Won', '2026-11-26 20:30:22.908+00');
INSERT INTO transfers VALUES (27, 'game:27:win', 'SEK', 'Won', '2026-11-26 22:17:16.222+00');
INSERT INTO transfers VALUES (28, 'game:28:stake', 'SEK', 'Played', '2026-11-27 06:29:52.43+00');
INSERT INTO transfers VALUES (29, 'game:29:stake', 'SEK', 'Played', '2026-11-27 11:55:14.411+00');
INSERT INTO transfers VALUES (30, 'game:30:stake', 'SEK', 'Played', '2026-11-27 21:51:24.988+00');
INSERT INTO transfers VALUES (31, 'game:31:stake', 'SEK', 'Played', '2026-11-30 04:53:35.856+00');
INSERT INTO transfers VALUES (32, 'game:32:stake', 'EUR', 'Played', '2026-11-30 07:35:21.15+00');
SELECT pg_catalog.setval('account_registrations_id_seq', 1, false);
SELECT pg_catalog.setval('api_calls_id_seq', 17, false);
SELECT pg_catalog.setval('audits_id_seq', 1, true);
SELECT pg_catalog.setval('bank_accounts_id_seq', 5, false);
SELECT pg_catalog.setval('breaks_id_seq', 1, false);
SELECT pg_catalog.setval('deposit_limit_changes_id_seq', 4, false);
SELECT pg_catalog.setval('entries_id_seq', 65, false);
SELECT pg_catalog.setval('flag_resolutions_id_seq', 1, false);
SELECT pg_catalog.setval('notifications_id_seq', 29, false);
SELECT pg_catalog.setval('orders_id_seq', 17, false);
SELECT pg_catalog.setval('player_notes_id_seq', 1, false);
SELECT pg_catalog.setval('players_id_seq', 3, false);
SELECT pg_catalog.setval('staff_approvals_id_seq', 1, false);
SELECT pg_catalog.setval('staff_id_seq', 1, true);
SELECT pg_catalog.setval('transfers_id_seq', 33, false);
ALTER TABLE ONLY account_registrations
    ADD CONSTRAINT account_registrations_pkey PRIMARY KEY (id);
ALTER TABLE ONLY api_calls
    ADD CONSTRAINT api_calls_pkey PRIMARY KEY (id);
ALTER TABLE ONLY audits
    ADD CONSTRAINT audits_pkey PRIMARY KEY (id);
ALTER TABLE ONLY balances
    ADD CONSTRAINT balances_pkey PRIMARY KEY (account, currency);
ALTER TABLE ONLY bank_accounts
    ADD CONSTRAINT bank_accounts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY breaks
    ADD CONSTRAINT breaks_pkey PRIMARY KEY (id);
ALTER TABLE ONLY deposit_limit_changes
    ADD CONSTRAINT deposit_limit_changes_pkey PRIMARY KEY (id);
ALTER TABLE ONLY entries
    ADD CONSTRAINT entries_pkey PRIMARY KEY (id);
ALTER TABLE ONLY flag_resolutions
    ADD CONSTRAINT flag_resolutions_pkey PRIMARY KEY (id);
ALTER TABLE ONLY notifications
    ADD CONSTRAINT notifications_pkey PRIMARY KEY (id);
ALTER TABLE ONLY orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
ALTER TABLE ONLY player_notes
    ADD CONSTRAINT player_notes_pkey PRIMARY KEY (id);
ALTER TABLE ONLY players
    ADD CONSTRAINT players_pkey PRIMARY KEY (id);
ALTER TABLE ONLY rate_counters
    ADD CONSTRAINT rate_counters_pkey PRIMARY KEY (name);
ALTER TABLE ONLY staff_approvals
    ADD CONSTRAINT staff_approvals_pkey PRIMARY KEY (id);
ALTER TABLE ONLY staff
    ADD CONSTRAINT staff_pkey PRIMARY KEY (id);
ALTER TABLE ONLY transfers
    ADD CONSTRAINT transfers_pkey PRIMARY KEY (id);
ALTER TABLE ONLY trustly_polls
    ADD CONSTRAINT trustly_polls_pkey PRIMARY KEY (method);
CREATE INDEX idx_account_registrations_player_id ON account_registrations USING btree (player_id);
CREATE UNIQUE INDEX idx_account_registrations_token ON account_registrations USING btree (token);
CREATE INDEX idx_api_calls_order_id ON api_calls USING btree (order_id);
CREATE INDEX idx_api_calls_player_id ON api_calls USING btree (player_id);
CREATE UNIQUE INDEX idx_approval_order_staff ON staff_approvals USING btree (order_id, staff_id);
CREATE INDEX idx_audits_at ON audits USING btree (at);
CREATE INDEX idx_audits_event ON audits USING btree (event);
CREATE INDEX idx_audits_order_id ON audits USING btree (order_id);
CREATE INDEX idx_audits_player_id ON audits USING btree (player_id);
CREATE INDEX idx_audits_staff_id ON audits USING btree (staff_id);
CREATE UNIQUE INDEX idx_bank_accounts_player_account ON bank_accounts USING btree (player_id, account_id);
CREATE INDEX idx_breaks_player_id ON breaks USING btree (player_id);
CREATE INDEX idx_entries_account ON entries USING btree (account);
CREATE INDEX idx_entries_account_id ON entries USING btree (account, id);
CREATE INDEX idx_entries_transfer_id ON entries USING btree (transfer_id);
CREATE INDEX idx_flag_resolutions_limit_change_id ON flag_resolutions USING btree (limit_change_id);
CREATE INDEX idx_flag_resolutions_notification_id ON flag_resolutions USING btree (notification_id);
CREATE INDEX idx_flag_resolutions_order_id ON flag_resolutions USING btree (order_id);
CREATE INDEX idx_limit_changes_flagged ON deposit_limit_changes USING btree (id) WHERE ((flag)::text <> ''::text);
CREATE INDEX idx_limit_changes_player ON deposit_limit_changes USING btree (player_id, currency);
CREATE INDEX idx_limit_changes_recent ON deposit_limit_changes USING btree (player_id, currency, period, requested_at, id);
CREATE UNIQUE INDEX idx_notifications_notification_id ON notifications USING btree (notification_id);
CREATE INDEX idx_notifications_order_id ON notifications USING btree (order_id);
CREATE INDEX idx_notifications_unmatched ON notifications USING btree (id) WHERE (order_id IS NULL);
CREATE INDEX idx_orders_bank_account_id ON orders USING btree (bank_account_id);
CREATE INDEX idx_orders_created_at ON orders USING btree (created_at);
CREATE INDEX idx_orders_currency_created ON orders USING btree (amount_currency, created_at, id);
CREATE INDEX idx_orders_currency_id ON orders USING btree (amount_currency, id);
CREATE INDEX idx_orders_flagged ON orders USING btree (id) WHERE ((flag)::text <> ''::text);
CREATE INDEX idx_orders_flagged_created ON orders USING btree (created_at, id) WHERE ((flag)::text <> ''::text);
CREATE INDEX idx_orders_kind_created ON orders USING btree (kind, created_at, id);
CREATE INDEX idx_orders_kind_id ON orders USING btree (kind, id);
CREATE UNIQUE INDEX idx_orders_message_id ON orders USING btree (message_id);
CREATE INDEX idx_orders_parent_id ON orders USING btree (parent_id);
CREATE INDEX idx_orders_player_created ON orders USING btree (player_id, created_at, id);
CREATE INDEX idx_orders_player_deposits ON orders USING btree (player_id, created_at) WHERE ((kind)::text = 'deposit'::text);
CREATE INDEX idx_orders_player_id_id ON orders USING btree (player_id, id);
CREATE INDEX idx_orders_player_payouts ON orders USING btree (player_id, created_at) WHERE ((kind)::text = 'payout'::text);
CREATE INDEX idx_orders_player_payouts_sent ON orders USING btree (player_id, sent_at) WHERE ((kind)::text = 'payout'::text);
CREATE INDEX idx_orders_status_created ON orders USING btree (status, created_at, id);
CREATE INDEX idx_orders_status_id ON orders USING btree (status, id);
CREATE INDEX idx_orders_trustly_order_id ON orders USING btree (trustly_order_id);
CREATE INDEX idx_orders_unmarked_held ON orders USING btree (kind, status) WHERE (((kind)::text = 'deposit'::text) AND ((status)::text = ANY ((ARRAY['pending'::character varying, 'failed'::character varying])::text[])) AND pay_n_play AND (NOT login_only) AND ((kyc_outcome)::text = 'finish'::text) AND (credited_at IS NULL) AND (debited_at IS NULL) AND (credit_held_at IS NOT NULL) AND (debit_held_at IS NULL));
CREATE INDEX idx_orders_unmarked_logins ON orders USING btree (kind, status) WHERE (((kind)::text = 'deposit'::text) AND ((status)::text = ANY ((ARRAY['created'::character varying, 'started'::character varying, 'pending'::character varying, 'failed'::character varying, 'abandoned'::character varying])::text[])) AND login_only AND ((kyc_outcome)::text = 'continue'::text) AND (signed_in_at IS NOT NULL));
CREATE INDEX idx_orders_unmarked_refused ON orders USING btree (kind, status) WHERE (((kind)::text = 'deposit'::text) AND ((status)::text = ANY ((ARRAY['created'::character varying, 'started'::character varying, 'pending'::character varying, 'abandoned'::character varying])::text[])) AND pay_n_play AND ((kyc_outcome)::text = 'finish'::text) AND (login_only OR ((credited_at IS NULL) AND (debited_at IS NULL) AND ((credit_held_at IS NULL) OR (debit_held_at IS NOT NULL)))));
CREATE INDEX idx_player_notes_player_id ON player_notes USING btree (player_id);
CREATE INDEX idx_players_country_dob ON players USING btree (country, date_of_birth);
CREATE INDEX idx_players_country_name ON players USING btree (country, name_key, date_of_birth);
CREATE UNIQUE INDEX idx_players_email ON players USING btree (email);
CREATE UNIQUE INDEX idx_players_end_user_id ON players USING btree (end_user_id);
CREATE INDEX idx_players_kyc_entity_id ON players USING btree (kyc_entity_id);
CREATE UNIQUE INDEX idx_players_personid ON players USING btree (person_id);
CREATE INDEX idx_rate_counters_expires_at ON rate_counters USING btree (expires_at);
CREATE UNIQUE INDEX idx_staff_email ON staff USING btree (email);
CREATE INDEX idx_transfers_created_at ON transfers USING btree (created_at);
CREATE UNIQUE INDEX idx_transfers_reference ON transfers USING btree (reference);
CREATE INDEX idx_transfers_reference_prefix ON transfers USING btree (reference text_pattern_ops);
CREATE TRIGGER audits_append_only BEFORE DELETE OR UPDATE ON audits FOR EACH ROW EXECUTE FUNCTION audits_append_only();
CREATE TRIGGER audits_no_truncate BEFORE TRUNCATE ON audits FOR EACH STATEMENT EXECUTE FUNCTION audits_append_only();
CREATE TRIGGER breaks_append_only BEFORE DELETE OR UPDATE ON breaks FOR EACH ROW EXECUTE FUNCTION breaks_append_only();
CREATE TRIGGER breaks_no_truncate BEFORE TRUNCATE ON breaks FOR EACH STATEMENT EXECUTE FUNCTION breaks_append_only();
ALTER TABLE ONLY entries
    ADD CONSTRAINT fk_transfers_entries FOREIGN KEY (transfer_id) REFERENCES transfers(id);
