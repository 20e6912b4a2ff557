extension Migrations {
    /// Agents and their one-time enrollment tokens. An agent holds an agent seat unless revoked,
    /// counted by a trigger deferred to COMMIT like the users' (see migration 8).
    static let agents = Migration(version: 9, name: "agents and enrollment tokens", statements: [
        """
        CREATE TABLE agent_enrollment_tokens (
            token_id   uuid PRIMARY KEY,
            token_hash bytea NOT NULL UNIQUE,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            used_at    timestamptz,
            agent_id   uuid
        )
        """,
        """
        CREATE TABLE agents (
            agent_id               uuid PRIMARY KEY,
            name                   text NOT NULL,
            hostname               text NOT NULL,
            os                     text NOT NULL,
            architecture           text NOT NULL,
            agent_version          text NOT NULL,
            tags                   text[] NOT NULL DEFAULT '{}',
            certificate_serial     text NOT NULL,
            certificate_expires_at timestamptz NOT NULL,
            state                  text NOT NULL DEFAULT 'offline' CHECK (state IN ('online', 'offline', 'revoked')),
            last_seen              timestamptz,
            connected_node         uuid,
            enrolled_at            timestamptz NOT NULL DEFAULT now(),
            enrolled_by            text NOT NULL,
            revoked_at             timestamptz
        )
        """,
        "CREATE INDEX agents_state ON agents (state)",
        "CREATE INDEX agents_tags ON agents USING gin (tags)",
        """
        CREATE FUNCTION steward_agent_seat() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (TG_OP = 'INSERT' AND NEW.state <> 'revoked') OR (TG_OP = 'UPDATE' AND OLD.state = 'revoked' AND NEW.state <> 'revoked') THEN
                PERFORM steward_take_seat('agent');
            ELSIF (TG_OP = 'DELETE' AND OLD.state <> 'revoked') OR (TG_OP = 'UPDATE' AND OLD.state <> 'revoked' AND NEW.state = 'revoked') THEN
                PERFORM steward_release_seat('agent');
            END IF;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE CONSTRAINT TRIGGER agents_hold_seats AFTER INSERT OR DELETE OR UPDATE OF state ON agents
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION steward_agent_seat()
        """,
    ])
}
