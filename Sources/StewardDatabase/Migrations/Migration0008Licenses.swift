extension Migrations {
    /// Licenses and their seats. The seat count is kept by triggers on the rows that hold seats
    /// (users now, agents with the agents table), under the one row lock of their kind in
    /// `license_seats`: whichever node, version or path changes a user, the count is exact and a
    /// grant past the licensed seats fails the transaction of the change, at its COMMIT.
    static let licenses = Migration(version: 8, name: "licenses and seats", statements: [
        """
        CREATE TABLE licenses (
            license_id  text PRIMARY KEY,
            licensee    text NOT NULL,
            user_seats  integer NOT NULL CHECK (user_seats >= 0),
            agent_seats integer NOT NULL CHECK (agent_seats >= 0),
            not_before  timestamptz NOT NULL,
            expires_at  timestamptz NOT NULL,
            grace_days  integer NOT NULL CHECK (grace_days >= 0),
            issuer      text NOT NULL,
            document    text NOT NULL,
            added_at    timestamptz NOT NULL DEFAULT now(),
            added_by    text NOT NULL
        )
        """,
        // One row per kind of seat: its lock serializes grants; `trial_seats` is the allowance
        // while no license key is stored at all; `peak` is the high-water mark since the last record.
        """
        CREATE TABLE license_seats (
            kind        text PRIMARY KEY CHECK (kind IN ('user', 'agent')),
            in_use      integer NOT NULL CHECK (in_use >= 0),
            peak        integer NOT NULL,
            trial_seats integer NOT NULL
        )
        """,
        """
        INSERT INTO license_seats (kind, in_use, peak, trial_seats)
        SELECT 'user', count(*), count(*), 10 FROM users WHERE NOT disabled
        UNION ALL SELECT 'agent', 0, 0, 10
        """,
        """
        CREATE TABLE license_usage (
            hour     timestamptz NOT NULL,
            kind     text NOT NULL,
            in_use   integer NOT NULL,
            peak     integer NOT NULL,
            licensed integer NOT NULL,
            PRIMARY KEY (hour, kind)
        )
        """,
        // The seats of a kind that the stored keys grant now: those past not-before and before the
        // end of their grace add up; with no key stored at all, the trial allowance.
        """
        CREATE FUNCTION steward_licensed_seats(seat_kind text) RETURNS integer LANGUAGE sql STABLE AS $$
            SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM licenses)
                        THEN (SELECT trial_seats FROM license_seats WHERE kind = seat_kind)
                        ELSE (SELECT coalesce(sum(CASE seat_kind WHEN 'user' THEN user_seats ELSE agent_seats END), 0)::integer
                              FROM licenses
                              WHERE now() >= not_before AND now() < expires_at + make_interval(days => grace_days))
                   END
        $$
        """,
        """
        CREATE FUNCTION steward_take_seat(seat_kind text) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            used integer;
            licensed integer;
        BEGIN
            UPDATE license_seats SET in_use = in_use + 1, peak = greatest(peak, in_use + 1)
            WHERE kind = seat_kind RETURNING in_use INTO used;
            licensed := steward_licensed_seats(seat_kind);
            IF used > licensed THEN
                RAISE EXCEPTION 'no % seat is free: % of % licensed % seats are in use', seat_kind, used - 1, licensed, seat_kind
                    USING ERRCODE = 'SL001',
                          HINT = CASE seat_kind WHEN 'user' THEN 'add a license key (stewardctl license add FILE) or disable a user'
                                                ELSE 'add a license key (stewardctl license add FILE) or revoke an agent' END;
            END IF;
        END
        $$
        """,
        """
        CREATE FUNCTION steward_release_seat(seat_kind text) RETURNS void LANGUAGE sql AS $$
            UPDATE license_seats SET in_use = in_use - 1 WHERE kind = seat_kind
        $$
        """,
        // A user holds a seat while enabled: created or enabled takes one, disabled or deleted frees it.
        // Deferred to COMMIT, so that the seat row's lock is held for the commit alone, not across the
        // transaction's round trips: grants from many nodes then queue for microseconds, not milliseconds.
        // Take seats inside explicit transactions: postgres-nio reports a refusal at COMMIT, but loses
        // one raised at the implicit commit of a lone statement after its rows (tested).
        """
        CREATE FUNCTION steward_user_seat() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (TG_OP = 'INSERT' AND NOT NEW.disabled) OR (TG_OP = 'UPDATE' AND OLD.disabled AND NOT NEW.disabled) THEN
                PERFORM steward_take_seat('user');
            ELSIF (TG_OP = 'DELETE' AND NOT OLD.disabled) OR (TG_OP = 'UPDATE' AND NOT OLD.disabled AND NEW.disabled) THEN
                PERFORM steward_release_seat('user');
            END IF;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE CONSTRAINT TRIGGER users_hold_seats AFTER INSERT OR DELETE OR UPDATE OF disabled ON users
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION steward_user_seat()
        """,
    ])
}
