extension Migrations {
    static let loginThrottling = Migration(version: 5, name: "login failures counted per minute, device cookies", statements: [
        // One row per scope, key and minute: a flood of failed logins adds a counter, not a row each.
        """
        CREATE TABLE login_failures (
            scope    text NOT NULL CHECK (scope IN ('account', 'client', 'address')),
            key      text NOT NULL,
            minute   timestamptz NOT NULL,
            failures integer NOT NULL,
            PRIMARY KEY (scope, key, minute)
        )
        """,
        "CREATE INDEX login_failures_minute ON login_failures (minute)",
        "DROP TABLE login_attempts",
        // Signs the device cookies of clients that have logged in (see LoginThrottle); set by the first node.
        "ALTER TABLE cluster ADD COLUMN device_key bytea",
    ])
}
