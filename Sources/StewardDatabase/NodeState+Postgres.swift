import StewardModel

// `nodes.state` at the SQL edge.
extension NodeState: PostgresTextEnum {}
