import PostgresNIO

extension DatabaseError {
    /// The error a person should read: a transaction's inner cause instead of its wrapper, and
    /// a server error as its SQLSTATE and message instead of postgres-nio's full dump (which
    /// repeats the whole query). Errors of other kinds pass through unchanged.
    public static func readable(_ error: any Error) -> any Error {
        if let transaction = error as? PostgresTransactionError {
            if let inner = transaction.closureError ?? transaction.beginError ?? transaction.commitError {
                return readable(inner)
            }
            return DatabaseError(.query, "a database transaction failed")
        }
        if let psql = error as? PSQLError {
            if let server = psql.serverInfo {
                let state = server[.sqlState] ?? "?"
                let message = server[.message] ?? "error"
                let code: Code = state == "57014" ? .timeout : .query
                return DatabaseError(code, "database error \(state): \(message)")
            }
            if psql.code == .serverClosedConnection || psql.code == .clientClosedConnection {
                return DatabaseError(.unreachable, "the database connection was lost")
            }
            return DatabaseError(.query, "database error: \(psql.code)")
        }
        return error
    }
}
