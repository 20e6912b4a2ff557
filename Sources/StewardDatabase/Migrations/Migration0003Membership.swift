extension Migrations {
    static let membership = Migration(version: 3, name: "membership states, heartbeat figures, key fingerprints", statements: [
        "UPDATE nodes SET state = 'offline' WHERE state NOT IN ('joining', 'online', 'draining', 'offline', 'upgrade_required', 'decommissioned')",
        """
        ALTER TABLE nodes
            ADD COLUMN state_detail       text NOT NULL DEFAULT '',
            ADD COLUMN state_changed_at   timestamptz NOT NULL DEFAULT now(),
            ADD COLUMN drain_requested_at timestamptz,
            ADD COLUMN clock_skew_ms      integer NOT NULL DEFAULT 0,
            ADD COLUMN requests_in_flight integer NOT NULL DEFAULT 0,
            ADD COLUMN agents_connected   integer NOT NULL DEFAULT 0,
            ADD CONSTRAINT nodes_state_check
                CHECK (state IN ('joining', 'online', 'draining', 'offline', 'upgrade_required', 'decommissioned'))
        """,
        """
        ALTER TABLE cluster
            ADD COLUMN master_key_fingerprint text,
            ADD COLUMN tls_fingerprint        text
        """,
    ])
}
