extension Migrations {
    static let keys = Migration(version: 6, name: "secrets, cluster CA, keystore id", statements: [
        """
        CREATE TABLE secrets (
            name        text PRIMARY KEY,
            key_version integer NOT NULL,
            ciphertext  bytea NOT NULL,
            revision    integer NOT NULL DEFAULT 1,
            created_at  timestamptz NOT NULL DEFAULT now(),
            created_by  text NOT NULL,
            updated_at  timestamptz NOT NULL DEFAULT now(),
            updated_by  text NOT NULL
        )
        """,
        "CREATE INDEX secrets_key_version ON secrets (key_version)",
        """
        CREATE TABLE cluster_authorities (
            serial      text PRIMARY KEY,
            certificate text NOT NULL,
            pin         text NOT NULL,
            state       text NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now()
        )
        """,
        // Which keystore belongs to this cluster: one from elsewhere, or none where one existed, is refused.
        "ALTER TABLE cluster ADD COLUMN keystore_id uuid",
    ])
}
