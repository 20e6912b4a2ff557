import StewardDatabase
import StewardModel

// `jobs.state` at the SQL edge.
extension JobState: PostgresTextEnum {}
