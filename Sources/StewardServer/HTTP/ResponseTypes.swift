import Hummingbird
import StewardModel

// The API's value types live in StewardModel so that the client decodes exactly what the server
// encodes; here they learn to be Hummingbird responses.
extension ClusterInfo: ResponseEncodable {}
extension HealthReport: ResponseEncodable {}
extension ErrorBody: ResponseEncodable {}
extension UserInfo: ResponseEncodable {}
extension WhoAmI: ResponseEncodable {}
extension TokenInfo: ResponseEncodable {}
extension AuditEntry: ResponseEncodable {}
extension NodeStatus: ResponseEncodable {}
extension ClusterSummary: ResponseEncodable {}
extension ClusterSettingInfo: ResponseEncodable {}
extension SecretInfo: ResponseEncodable {}
extension SecretMatch: ResponseEncodable {}
extension KeysStatus: ResponseEncodable {}
extension RotationProgress: ResponseEncodable {}
extension AuthorityInfo: ResponseEncodable {}
extension JobList: ResponseEncodable {}
extension JobRecord: ResponseEncodable {}
extension JobCancelled: ResponseEncodable {}
extension JobStatsReport: ResponseEncodable {}
extension ScheduleList: ResponseEncodable {}
extension ScheduleRecord: ResponseEncodable {}
extension ScheduleFirings: ResponseEncodable {}
extension LicenseSummary: ResponseEncodable {}
extension LicenseInfo: ResponseEncodable {}
extension LicenseUsage: ResponseEncodable {}
extension AgentInfo: ResponseEncodable {}
extension AgentCommandInfo: ResponseEncodable {}
extension AgentCommandOutput: ResponseEncodable {}
