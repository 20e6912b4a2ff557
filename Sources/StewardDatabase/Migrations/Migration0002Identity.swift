extension Migrations {
    static let identity = Migration(version: 2, name: "users, tokens, sessions, login attempts, audit", statements: [
        """
        CREATE TABLE users (
            user_id             uuid PRIMARY KEY,
            username            text NOT NULL,
            role                text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
            password_hash       text NOT NULL,
            disabled            boolean NOT NULL DEFAULT false,
            created_at          timestamptz NOT NULL DEFAULT now(),
            updated_at          timestamptz NOT NULL DEFAULT now(),
            password_changed_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        "CREATE UNIQUE INDEX users_username_key ON users (lower(username))",
        """
        CREATE TABLE api_tokens (
            token_id     uuid PRIMARY KEY,
            user_id      uuid NOT NULL REFERENCES users ON DELETE CASCADE,
            name         text NOT NULL,
            prefix       text NOT NULL,
            token_hash   bytea NOT NULL UNIQUE,
            created_at   timestamptz NOT NULL DEFAULT now(),
            expires_at   timestamptz,
            last_used_at timestamptz,
            revoked_at   timestamptz
        )
        """,
        """
        CREATE TABLE http_sessions (
            session_hash        bytea PRIMARY KEY,
            user_id             uuid NOT NULL REFERENCES users ON DELETE CASCADE,
            csrf_token          text NOT NULL,
            created_at          timestamptz NOT NULL DEFAULT now(),
            last_seen_at        timestamptz NOT NULL DEFAULT now(),
            idle_expires_at     timestamptz NOT NULL,
            absolute_expires_at timestamptz NOT NULL,
            created_on_node     text NOT NULL,
            source_address      text
        )
        """,
        "CREATE INDEX http_sessions_user ON http_sessions (user_id)",
        """
        CREATE TABLE login_attempts (
            attempt_id     bigserial PRIMARY KEY,
            username       text NOT NULL,
            source_address text NOT NULL,
            succeeded      boolean NOT NULL,
            attempted_at   timestamptz NOT NULL DEFAULT now()
        )
        """,
        "CREATE INDEX login_attempts_username ON login_attempts (username, attempted_at)",
        "CREATE INDEX login_attempts_source ON login_attempts (source_address, attempted_at)",
        """
        CREATE TABLE audit_log (
            audit_id       bigserial PRIMARY KEY,
            at             timestamptz NOT NULL DEFAULT now(),
            actor          text NOT NULL,
            action         text NOT NULL,
            target         text,
            node_name      text NOT NULL,
            source_address text,
            details        jsonb NOT NULL DEFAULT '{}'
        )
        """,
        "CREATE INDEX audit_log_at ON audit_log (at DESC)",
    ])
}
