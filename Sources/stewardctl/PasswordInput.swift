import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads passwords: from standard input with `--password-stdin` (scripts), otherwise from the
/// terminal with echo turned off. Never from the command line, where `ps` shows it to everyone.
enum PasswordInput {
    static func read(prompt: String, fromStandardInput: Bool, confirm: Bool = false) throws -> String {
        if fromStandardInput {
            guard let line = Swift.readLine(strippingNewline: true), !line.isEmpty else {
                throw Failure("no password on standard input")
            }
            return line
        }
        let first = try readHidden(prompt)
        if confirm, try readHidden("again: ") != first { throw Failure("the two passwords differ") }
        return first
    }

    static func readHidden(_ prompt: String) throws -> String {
        let tty = open("/dev/tty", O_RDWR)
        guard tty >= 0 else { throw Failure("no terminal to ask for the password; use --password-stdin") }
        defer { close(tty) }
        _ = prompt.withCString { write(tty, $0, strlen($0)) }
        var original = termios()
        tcgetattr(tty, &original)
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(tty, TCSAFLUSH, &silent)
        defer {
            tcsetattr(tty, TCSAFLUSH, &original)
            _ = write(tty, "\n", 1)
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Glibc.read(tty, &byte, 1) == 1, byte != 0x0A, byte != 0x0D { bytes.append(byte) }
        guard !bytes.isEmpty else { throw Failure("no password given") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
