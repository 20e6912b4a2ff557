extension Migrations {
    /// Commands for agents and their output, and which node incarnation holds each agent's channel.
    /// A command row never holds a secret's value: `secret_environment` names secrets, resolved by
    /// the node that delivers it.
    static let agentCommands = Migration(version: 10, name: "agent commands", statements: [
        "ALTER TABLE agents ADD COLUMN connected_incarnation bigint",
        // The certificate an agent renewed with stays valid until it connects with the new one: a
        // renewal whose answer was lost does not lock the agent out.
        "ALTER TABLE agents ADD COLUMN previous_certificate_serial text",
        // An agent marked online counts as online only while the node incarnation holding its
        // channel is alive: a node that dies takes its agents offline with it, at read, on database time.
        """
        CREATE FUNCTION steward_agent_state(agent_state text, held_by uuid, held_incarnation bigint) RETURNS text LANGUAGE sql STABLE AS $$
            SELECT CASE WHEN agent_state = 'online' AND NOT EXISTS (
                SELECT 1 FROM nodes n WHERE n.node_id = held_by AND n.incarnation = held_incarnation
                    AND n.state IN ('joining', 'online', 'draining') AND n.last_seen >= now() - steward_offline_after())
            THEN 'offline' ELSE agent_state END
        $$
        """,
        """
        CREATE TABLE agent_commands (
            command_id         uuid PRIMARY KEY,
            agent_id           uuid NOT NULL REFERENCES agents (agent_id),
            argv               text[] NOT NULL,
            environment        jsonb NOT NULL DEFAULT '{}',
            secret_environment jsonb NOT NULL DEFAULT '{}',
            working_directory  text,
            timeout_seconds    integer NOT NULL,
            state              text NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'sent', 'running', 'succeeded', 'failed', 'timed-out', 'cancelled', 'refused', 'interrupted', 'expired')),
            cancel_requested   boolean NOT NULL DEFAULT false,
            exit_code          integer,
            message            text,
            created_by         text NOT NULL,
            created_at         timestamptz NOT NULL DEFAULT now(),
            expires_at         timestamptz NOT NULL,
            sent_at            timestamptz,
            deliveries         integer NOT NULL DEFAULT 0,
            started_at         timestamptz,
            finished_at        timestamptz,
            output_chunks      integer NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX agent_commands_open ON agent_commands (agent_id, created_at) WHERE state IN ('queued', 'sent', 'running')",
        "CREATE INDEX agent_commands_by_agent ON agent_commands (agent_id, created_at DESC)",
        """
        CREATE TABLE agent_command_output (
            command_id uuid NOT NULL REFERENCES agent_commands (command_id) ON DELETE CASCADE,
            sequence   integer NOT NULL,
            stream     text NOT NULL CHECK (stream IN ('stdout', 'stderr')),
            text       text NOT NULL,
            at         timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (command_id, sequence)
        )
        """,
    ])
}
