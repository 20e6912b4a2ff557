extension Migrations {
    static let initialSchema = Migration(version: 1, name: "cluster and nodes", statements: [
        """
        CREATE TABLE cluster (
            singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            cluster_id       uuid NOT NULL,
            schema_version   integer NOT NULL,
            software_version text NOT NULL,
            created_at       timestamptz NOT NULL DEFAULT now(),
            updated_at       timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE nodes (
            node_id          uuid PRIMARY KEY,
            name             text NOT NULL UNIQUE,
            host             text NOT NULL,
            http_port        integer NOT NULL,
            https_port       integer NOT NULL,
            websocket_port   integer NOT NULL,
            software_version text NOT NULL,
            state            text NOT NULL,
            pid              integer NOT NULL,
            started_at       timestamptz NOT NULL DEFAULT now(),
            last_seen        timestamptz NOT NULL DEFAULT now(),
            stopped_at       timestamptz
        )
        """,
    ])
}
