extension Migrations {
    static let jobs = Migration(version: 7, name: "job pool, leader lease, schedules, job statistics", statements: [
        """
        CREATE TABLE jobs (
            job_id              bigserial PRIMARY KEY,
            kind                text NOT NULL,
            args                jsonb NOT NULL,
            target_node         uuid,
            state               text NOT NULL CHECK (state IN ('available', 'running', 'retryable', 'completed', 'discarded', 'cancelled')),
            priority            smallint NOT NULL DEFAULT 0,
            run_at              timestamptz NOT NULL DEFAULT now(),
            attempt             integer NOT NULL DEFAULT 0,
            max_attempts        integer NOT NULL DEFAULT 5,
            idempotency_key     text UNIQUE,
            claimed_by          uuid,
            claimed_incarnation bigint,
            fencing_token       bigint,
            lease_expires_at    timestamptz,
            cancel_requested    boolean NOT NULL DEFAULT false,
            last_error          text,
            result              jsonb,
            created_at          timestamptz NOT NULL DEFAULT now(),
            attempted_at        timestamptz,
            finished_at         timestamptz
        )
        """,
        "CREATE INDEX jobs_ready ON jobs (priority DESC, run_at, job_id) WHERE state IN ('available', 'retryable')",
        "CREATE INDEX jobs_running ON jobs (lease_expires_at) WHERE state = 'running'",
        "CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('completed', 'discarded', 'cancelled')",
        "CREATE INDEX jobs_kind ON jobs (kind, job_id)",
        "CREATE INDEX jobs_target ON jobs (target_node) WHERE target_node IS NOT NULL",
        "CREATE SEQUENCE job_fencing_tokens",
        """
        CREATE TABLE leader_lease (
            singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            holder      uuid NOT NULL,
            incarnation bigint NOT NULL,
            term        bigint NOT NULL,
            elected_at  timestamptz NOT NULL,
            expires_at  timestamptz NOT NULL
        )
        """,
        "CREATE SEQUENCE leader_terms",
        // One statement per candidate per interval: renews the holder's lease, or takes an expired one
        // with a new term. Only an online node of the current incarnation may lead.
        """
        CREATE FUNCTION steward_claim_leadership(candidate uuid, candidate_incarnation bigint, lease_seconds float8)
        RETURNS TABLE (lease_holder uuid, lease_incarnation bigint, lease_term bigint, lease_elected_at timestamptz, lease_expires_in float8)
        LANGUAGE plpgsql AS $$
        DECLARE
            held leader_lease%ROWTYPE;
            eligible boolean;
        BEGIN
            SELECT EXISTS (SELECT 1 FROM nodes n WHERE n.node_id = candidate AND n.incarnation = candidate_incarnation
                           AND n.state = 'online' AND n.last_seen >= now() - steward_offline_after()) INTO eligible;
            SELECT * INTO held FROM leader_lease FOR UPDATE;
            IF eligible THEN
                IF NOT FOUND THEN
                    INSERT INTO leader_lease (holder, incarnation, term, elected_at, expires_at)
                    VALUES (candidate, candidate_incarnation, nextval('leader_terms'), now(), now() + make_interval(secs => lease_seconds))
                    ON CONFLICT DO NOTHING;
                ELSIF held.holder = candidate AND held.incarnation = candidate_incarnation AND held.expires_at > now() THEN
                    UPDATE leader_lease SET expires_at = now() + make_interval(secs => lease_seconds);
                ELSIF held.expires_at <= now() THEN
                    UPDATE leader_lease SET holder = candidate, incarnation = candidate_incarnation, term = nextval('leader_terms'),
                           elected_at = now(), expires_at = now() + make_interval(secs => lease_seconds);
                END IF;
            END IF;
            RETURN QUERY SELECT l.holder, l.incarnation, l.term, l.elected_at, EXTRACT(EPOCH FROM l.expires_at - now())::float8
                         FROM leader_lease l;
        END
        $$
        """,
        """
        CREATE TABLE schedules (
            schedule_id      bigserial PRIMARY KEY,
            name             text NOT NULL UNIQUE,
            kind             text NOT NULL,
            args             jsonb NOT NULL DEFAULT '{}',
            scope            text NOT NULL CHECK (scope IN ('cluster', 'each-node')),
            interval_seconds float8,
            cron             text,
            time_zone        text NOT NULL DEFAULT 'UTC',
            misfire          text NOT NULL CHECK (misfire IN ('fire-once', 'skip')),
            misfire_grace    float8 NOT NULL DEFAULT 60 CHECK (misfire_grace > 0),
            paused           boolean NOT NULL DEFAULT false,
            built_in         boolean NOT NULL DEFAULT false,
            next_slot        timestamptz NOT NULL,
            created_at       timestamptz NOT NULL DEFAULT now(),
            created_by       text NOT NULL,
            CHECK ((interval_seconds IS NULL) <> (cron IS NULL))
        )
        """,
        """
        CREATE TABLE schedule_firings (
            schedule_id bigint NOT NULL REFERENCES schedules ON DELETE CASCADE,
            slot        timestamptz NOT NULL,
            fired_at    timestamptz NOT NULL DEFAULT now(),
            fired_by    uuid NOT NULL,
            term        bigint NOT NULL,
            jobs        bigint[] NOT NULL,
            -- 'skipped': the slot was missed and the misfire policy let it go (no jobs).
            outcome     text NOT NULL CHECK (outcome IN ('fired', 'skipped')),
            -- Slots before this one, since the previous firing, that were missed and folded into it.
            missed      integer NOT NULL DEFAULT 0,
            PRIMARY KEY (schedule_id, slot)
        )
        """,
        """
        CREATE TABLE job_stats (
            minute      timestamptz NOT NULL,
            node_id     uuid NOT NULL,
            kind        text NOT NULL,
            succeeded   integer NOT NULL DEFAULT 0,
            failed      integer NOT NULL DEFAULT 0,
            retried     integer NOT NULL DEFAULT 0,
            run_ms      bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (minute, node_id, kind)
        )
        """,
    ])
}
