//! The file-transfer agent that `ristretto exec cp` starts inside a container through ECS Exec:
//! a one-connection TCP listener on 127.0.0.1 (reached through an SSM port-forwarding session)
//! that either writes what it receives to the remote file (`recv`: an upload) or sends stdin
//! (`send`: a download, stdin redirected from the remote file).
//!
//! Usage: `AGENT PORT recv SIZE|- PARTIAL DEST` or `AGENT PORT send`. `recv` writes what it
//! receives to PARTIAL (created new) and renames it to DEST when the connection ended after
//! SIZE bytes (`-`: any number); on any failure it removes PARTIAL, so an upload is all or
//! nothing. It removes its own executable as it starts. It reports on stderr, one line each,
//! prefixed `ristretto-cp-agent: `: `listening on port N`, then `received N bytes` or `sent N
//! bytes`, or `error: ...` with exit status 1. It waits at most 60 s for the connection and 300 s for any
//! read, so an abandoned transfer does not leave it running in the container.
//!
//! Built by `host/build.rs` for x86_64 and aarch64 Linux without any libc (`no_std`, raw system
//! calls, a static executable of a few kilobytes), because the container may have none that
//! fits, and the whole executable travels base64-encoded inside the ExecuteCommand command.
#![no_std]
#![no_main]

use core::arch::global_asm;

#[cfg(target_arch = "x86_64")]
global_asm!(
    ".globl _start",
    "_start:",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {main}",
    "ud2",
    main = sym agent_main,
);

#[cfg(target_arch = "aarch64")]
global_asm!(
    ".globl _start",
    "_start:",
    "mov x0, sp",
    "bl {main}",
    "brk #0",
    main = sym agent_main,
);

/// Linux system call numbers of the calls the agent makes.
#[cfg(target_arch = "x86_64")]
mod nr {
    pub const READ: usize = 0;
    pub const RT_SIGACTION: usize = 13;
    pub const WRITE: usize = 1;
    pub const CLOSE: usize = 3;
    pub const SOCKET: usize = 41;
    pub const ACCEPT: usize = 43;
    pub const BIND: usize = 49;
    pub const LISTEN: usize = 50;
    pub const SETSOCKOPT: usize = 54;
    pub const FSYNC: usize = 74;
    pub const EXIT_GROUP: usize = 231;
    pub const OPENAT: usize = 257;
    pub const UNLINKAT: usize = 263;
    pub const RENAMEAT: usize = 264;
}

/// Linux system call numbers of the calls the agent makes.
#[cfg(target_arch = "aarch64")]
mod nr {
    pub const READ: usize = 63;
    pub const RT_SIGACTION: usize = 134;
    pub const WRITE: usize = 64;
    pub const CLOSE: usize = 57;
    pub const SOCKET: usize = 198;
    pub const ACCEPT: usize = 202;
    pub const BIND: usize = 200;
    pub const LISTEN: usize = 201;
    pub const SETSOCKOPT: usize = 208;
    pub const FSYNC: usize = 82;
    pub const EXIT_GROUP: usize = 94;
    pub const OPENAT: usize = 56;
    pub const UNLINKAT: usize = 35;
    pub const RENAMEAT: usize = 38;
}

/// A system call with up to five arguments; negative results are `-errno`.
#[cfg(target_arch = "x86_64")]
unsafe fn syscall(number: usize, a: [usize; 5]) -> isize {
    let result: isize;
    // SAFETY: the caller passes arguments valid for `number`.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") number as isize => result,
            in("rdi") a[0], in("rsi") a[1], in("rdx") a[2], in("r10") a[3], in("r8") a[4],
            lateout("rcx") _, lateout("r11") _,
            options(nostack),
        );
    }
    result
}

/// A system call with up to five arguments; negative results are `-errno`.
#[cfg(target_arch = "aarch64")]
unsafe fn syscall(number: usize, a: [usize; 5]) -> isize {
    let result: isize;
    // SAFETY: the caller passes arguments valid for `number`.
    unsafe {
        core::arch::asm!(
            "svc #0",
            in("x8") number,
            inlateout("x0") a[0] as isize => result,
            in("x1") a[1], in("x2") a[2], in("x3") a[3], in("x4") a[4],
            options(nostack),
        );
    }
    result
}

const STDIN: usize = 0;
const STDERR: usize = 2;
const AF_INET: usize = 2;
const SOCK_STREAM: usize = 1;
const SOL_SOCKET: usize = 1;
const SO_REUSEADDR: usize = 2;
const SO_RCVTIMEO: usize = 20;
const EINTR: isize = 4;
const SIGPIPE: usize = 13;
/// `SIG_IGN` as a handler.
const SIG_IGN: usize = 1;
/// `AT_FDCWD`: paths relative to the working directory.
const AT_FDCWD: usize = -100isize as usize;
/// `O_WRONLY | O_CREAT | O_EXCL`, the same on x86_64 and aarch64 (asm-generic).
const CREATE_NEW: usize = 0o1 | 0o100 | 0o200;

/// Seconds the agent waits for the connection.
const ACCEPT_TIMEOUT: usize = 60;
/// Seconds the agent waits for any one read of the connection.
const READ_TIMEOUT: usize = 300;

/// The transfer buffer (in .bss, so nothing has to be zeroed at run time).
static mut BUFFER: [u8; 65536] = [0; 65536];

fn exit(status: usize) -> ! {
    // SAFETY: exit_group takes a status and does not return.
    unsafe { syscall(nr::EXIT_GROUP, [status, 0, 0, 0, 0]) };
    loop {}
}

/// Writes all of `bytes` to `fd`; false on an error.
fn write_all(fd: usize, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        // SAFETY: the pointer and length describe `bytes`.
        let n = unsafe { syscall(nr::WRITE, [fd, bytes.as_ptr() as usize, bytes.len(), 0, 0]) };
        if n == -EINTR {
            continue;
        }
        if n <= 0 {
            return false;
        }
        bytes = bytes.get(n as usize..).unwrap_or(&[]);
    }
    true
}

/// `number` in decimal, into `out`; the digits written.
fn decimal(mut number: u64, out: &mut [u8; 20]) -> &[u8] {
    let mut at = out.len();
    loop {
        at -= 1;
        out[at] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 || at == 0 {
            break;
        }
    }
    &out[at..]
}

/// Reports `words`, `number` (when given) and `tail` as the end of a line on stderr.
fn report(words: &[u8], number: Option<u64>, tail: &[u8]) {
    let mut digits = [0u8; 20];
    write_all(STDERR, words);
    if let Some(number) = number {
        write_all(STDERR, decimal(number, &mut digits));
    }
    write_all(STDERR, tail);
    write_all(STDERR, b"\n");
}

/// Reports the failed step and its errno (`error: STEP failed, errno N`), and exits 1.
fn fail(step: &[u8], result: isize) -> ! {
    write_all(STDERR, b"ristretto-cp-agent: error: ");
    write_all(STDERR, step);
    report(b" failed, errno ", Some(result.unsigned_abs() as u64), b"");
    exit(1)
}

/// Sets a receive timeout of `seconds` on `fd` (a `struct timeval`).
fn receive_timeout(fd: usize, seconds: usize) {
    let timeval: [usize; 2] = [seconds, 0];
    // SAFETY: the option value points at a timeval of the right size.
    unsafe {
        syscall(
            nr::SETSOCKOPT,
            [
                fd,
                SOL_SOCKET,
                SO_RCVTIMEO,
                timeval.as_ptr() as usize,
                core::mem::size_of_val(&timeval),
            ],
        )
    };
}

/// Listens on 127.0.0.1:`port`; exits 1 when it cannot.
fn listen(port: u16) -> usize {
    // SAFETY: plain integer arguments.
    let listener = unsafe { syscall(nr::SOCKET, [AF_INET, SOCK_STREAM, 0, 0, 0]) };
    if listener < 0 {
        fail(b"socket", listener);
    }
    let listener = listener as usize;
    let one: u32 = 1;
    // SAFETY: the option value points at an int.
    unsafe {
        syscall(
            nr::SETSOCKOPT,
            [
                listener,
                SOL_SOCKET,
                SO_REUSEADDR,
                &one as *const u32 as usize,
                4,
            ],
        )
    };
    // struct sockaddr_in: family, port (big-endian), 127.0.0.1, zero padding.
    let port = port.to_be_bytes();
    let address: [u8; 16] = [
        AF_INET as u8,
        0,
        port[0],
        port[1],
        127,
        0,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    ];
    // SAFETY: the pointer and length describe `address`.
    let bound = unsafe { syscall(nr::BIND, [listener, address.as_ptr() as usize, 16, 0, 0]) };
    if bound < 0 {
        fail(b"bind", bound);
    }
    // SAFETY: plain integer arguments.
    let listening = unsafe { syscall(nr::LISTEN, [listener, 1, 0, 0, 0]) };
    if listening < 0 {
        fail(b"listen", listening);
    }
    receive_timeout(listener, ACCEPT_TIMEOUT);
    listener
}

/// Says the agent listens on `port` and accepts one connection on `listener`; the connection,
/// or the failed step and its (negative) result.
fn accept_one(listener: usize, port: u16) -> Result<usize, (&'static [u8], isize)> {
    report(
        b"ristretto-cp-agent: listening on port ",
        Some(port.into()),
        b"",
    );
    let connection = loop {
        // SAFETY: no peer address is asked for.
        let accepted = unsafe { syscall(nr::ACCEPT, [listener, 0, 0, 0, 0]) };
        if accepted != -EINTR {
            break accepted;
        }
    };
    if connection < 0 {
        return Err((b"accept (no connection within 60 s)", connection));
    }
    // SAFETY: closes the listener, which is not used again.
    unsafe { syscall(nr::CLOSE, [listener, 0, 0, 0, 0]) };
    let connection = connection as usize;
    receive_timeout(connection, READ_TIMEOUT);
    Ok(connection)
}

/// Copies `from` to `to` until `from` ends; the number of bytes copied, or the failed step and
/// its (negative) result.
fn pump(from: usize, to: usize) -> Result<u64, (&'static [u8], isize)> {
    let mut total: u64 = 0;
    loop {
        let buffer = &raw mut BUFFER;
        // SAFETY: the agent is single-threaded; the buffer is only used here.
        let n = unsafe { syscall(nr::READ, [from, buffer as usize, 65536, 0, 0]) };
        if n == -EINTR {
            continue;
        }
        if n < 0 {
            return Err((b"read", n));
        }
        if n == 0 {
            return Ok(total);
        }
        // SAFETY: the kernel wrote `n` bytes into the buffer.
        let read = unsafe { core::slice::from_raw_parts(buffer as *const u8, n as usize) };
        if !write_all(to, read) {
            return Err((b"write", -1));
        }
        total += n as u64;
    }
}

/// Removes `partial` and fails at `step`.
fn discard(partial: *const u8, step: &[u8], result: isize) -> ! {
    // SAFETY: `partial` is the NUL-terminated path of the file this agent created.
    unsafe { syscall(nr::UNLINKAT, [AT_FDCWD, partial as usize, 0, 0, 0]) };
    fail(step, result)
}

/// Receives one connection's bytes into `partial` (created new), then moves it to `dest`; any
/// failure (including a count other than `expected`) removes `partial` and exits 1.
///
/// # Safety
/// `partial` and `dest` point at NUL-terminated paths.
unsafe fn receive(port: u16, expected: Option<u64>, partial: *const u8, dest: *const u8) {
    let listener = listen(port);
    // SAFETY: `partial` is a NUL-terminated path.
    let file = unsafe {
        syscall(
            nr::OPENAT,
            [AT_FDCWD, partial as usize, CREATE_NEW, 0o644, 0],
        )
    };
    if file < 0 {
        fail(b"creating the file beside the destination", file);
    }
    let file = file as usize;
    let connection = match accept_one(listener, port) {
        Ok(connection) => connection,
        Err((step, result)) => discard(partial, step, result),
    };
    let total = match pump(connection, file) {
        Ok(total) => total,
        Err((step, result)) => discard(partial, step, result),
    };
    if let Some(expected) = expected
        && expected != total
    {
        // Removed first: when the session is gone, nothing reads the report.
        // SAFETY: removes the partial file this agent created.
        unsafe { syscall(nr::UNLINKAT, [AT_FDCWD, partial as usize, 0, 0, 0]) };
        report(b"ristretto-cp-agent: received ", Some(total), b" bytes");
        report(
            b"ristretto-cp-agent: error: expected ",
            Some(expected),
            b" bytes",
        );
        exit(1);
    }
    report(b"ristretto-cp-agent: received ", Some(total), b" bytes");
    // SAFETY: plain descriptors and this agent's own NUL-terminated paths.
    let synced = unsafe { syscall(nr::FSYNC, [file, 0, 0, 0, 0]) };
    if synced < 0 {
        discard(partial, b"fsync", synced);
    }
    // SAFETY: as above.
    unsafe { syscall(nr::CLOSE, [file, 0, 0, 0, 0]) };
    // SAFETY: as above.
    let moved = unsafe {
        syscall(
            nr::RENAMEAT,
            [AT_FDCWD, partial as usize, AT_FDCWD, dest as usize, 0],
        )
    };
    if moved < 0 {
        discard(partial, b"moving the file into place", moved);
    }
}

/// Parses a decimal number.
fn parse_number(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut number: u64 = 0;
    for &digit in text {
        if !digit.is_ascii_digit() {
            return None;
        }
        number = number
            .checked_mul(10)?
            .checked_add(u64::from(digit - b'0'))?;
    }
    Some(number)
}

/// The NUL-terminated string at `pointer`.
///
/// # Safety
/// `pointer` is one of the process's argument strings.
unsafe fn argument<'a>(pointer: *const u8) -> &'a [u8] {
    let mut length = 0;
    // SAFETY: argument strings are NUL-terminated. The volatile read keeps the compiler from
    // turning the loop into a call of libc's strlen, which the agent does not have.
    unsafe {
        while core::ptr::read_volatile(pointer.add(length)) != 0 {
            length += 1;
        }
        core::slice::from_raw_parts(pointer, length)
    }
}

/// The entry point: `stack` is the initial stack (argc, then argv).
unsafe extern "C" fn agent_main(stack: *const usize) -> ! {
    // SAFETY: the kernel starts a process with argc and the argv pointers (NUL-terminated
    // strings) on the stack.
    let (argc, argv) = unsafe { (*stack, stack.add(1) as *const *const u8) };
    let arg = |i: usize| -> *const u8 {
        // SAFETY: only indexes below argc are read.
        unsafe { *argv.add(i) }
    };
    // A write to a session that has gone (its pipe or the connection) fails instead of killing
    // the agent, so that it still removes what it must. The kernel's struct sigaction
    // (handler, flags, restorer, mask) is the same on x86_64 and aarch64.
    let ignore: [usize; 4] = [SIG_IGN, 0, 0, 0];
    // SAFETY: the action points at a struct sigaction; the old action is not asked for.
    unsafe {
        syscall(
            nr::RT_SIGACTION,
            [SIGPIPE, ignore.as_ptr() as usize, 0, 8, 0],
        )
    };
    if argc >= 1 {
        // The executable is not needed once running: removing it now leaves nothing behind in
        // the container however the session ends.
        // SAFETY: argv[0] is the path the shell started the agent with.
        unsafe { syscall(nr::UNLINKAT, [AT_FDCWD, arg(0) as usize, 0, 0, 0]) };
    }
    // SAFETY: the arguments read are below argc.
    let mode = if argc >= 3 {
        unsafe { argument(arg(2)) }
    } else {
        b""
    };
    let port = if argc >= 2 {
        unsafe { argument(arg(1)) }
    } else {
        b""
    };
    let Some(port) = parse_number(port).and_then(|n| u16::try_from(n).ok()) else {
        report(USAGE, None, b"");
        exit(2)
    };
    match (mode, argc) {
        (b"recv", 6) => {
            // SAFETY: argument 3 is below argc.
            let expected = match unsafe { argument(arg(3)) } {
                b"-" => None,
                size => match parse_number(size) {
                    Some(size) => Some(size),
                    None => {
                        report(USAGE, None, b"");
                        exit(2)
                    }
                },
            };
            // SAFETY: arguments 4 and 5 are below argc and NUL-terminated.
            unsafe { receive(port, expected, arg(4), arg(5)) };
        }
        (b"send", 3) => {
            let listener = listen(port);
            let connection = match accept_one(listener, port) {
                Ok(connection) => connection,
                Err((step, result)) => fail(step, result),
            };
            let total = match pump(STDIN, connection) {
                Ok(total) => total,
                Err((step, result)) => fail(step, result),
            };
            // SAFETY: closing the connection tells the peer the file ended.
            unsafe { syscall(nr::CLOSE, [connection, 0, 0, 0, 0]) };
            report(b"ristretto-cp-agent: sent ", Some(total), b" bytes");
        }
        _ => {
            report(USAGE, None, b"");
            exit(2);
        }
    }
    exit(0)
}

/// How the agent is called.
const USAGE: &[u8] =
    b"ristretto-cp-agent: usage: AGENT PORT recv SIZE|- PARTIAL DEST | AGENT PORT send";

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    report(b"ristretto-cp-agent: error: internal", None, b"");
    exit(101)
}
