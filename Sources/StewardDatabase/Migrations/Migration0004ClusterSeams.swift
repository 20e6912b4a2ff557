extension Migrations {
    static let clusterSeams = Migration(version: 4, name: "cluster settings, node incarnations", statements: [
        """
        CREATE TABLE cluster_settings (
            key        text PRIMARY KEY,
            value      text NOT NULL,
            number     float8,
            updated_at timestamptz NOT NULL DEFAULT now(),
            updated_by text NOT NULL
        )
        """,
        "ALTER TABLE cluster ADD COLUMN settings_version bigint NOT NULL DEFAULT 0",
        "CREATE SEQUENCE node_incarnations",
        "ALTER TABLE nodes ADD COLUMN incarnation bigint NOT NULL DEFAULT nextval('node_incarnations')",
        // Every node asks the database, not its own copy, whether another node is offline: they cannot disagree.
        """
        CREATE FUNCTION steward_offline_after() RETURNS interval LANGUAGE sql STABLE AS $$
            SELECT make_interval(secs => coalesce(
                (SELECT number FROM cluster_settings WHERE key = 'cluster.node.offline.after'), 12))
        $$
        """,
    ])
}
