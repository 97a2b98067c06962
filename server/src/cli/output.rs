//! Everything the command line prints goes through here. Standard output may be a pipe whose reader
//! has gone (`tessera audit export | head`): that ends the command quietly and successfully, as for
//! `ls | head`, where `println!` would panic. Standard error is best effort: a closed one loses the
//! message, never the command.

use std::{
    fmt::Display,
    io::{self, Write},
};

/// Why a command stopped before its end.
#[derive(Debug)]
pub enum Stop {
    /// What went wrong and what to do, in one line (exit status 1).
    Failed(String),
    /// Whoever read standard output went away: a normal end (exit status 0).
    ReaderGone,
}

impl From<String> for Stop {
    fn from(message: String) -> Self {
        Self::Failed(message)
    }
}

impl From<&str> for Stop {
    fn from(message: &str) -> Self {
        Self::Failed(message.to_owned())
    }
}

/// One line on standard output.
pub fn line(text: impl Display) -> Result<(), Stop> {
    let mut out = io::stdout().lock();
    writeln!(out, "{text}").and_then(|()| out.flush()).map_err(written)
}

/// Many lines on standard output, buffered; stops at the first that can't be written.
pub fn lines(all: impl IntoIterator<Item = impl Display>) -> Result<(), Stop> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for text in all {
        writeln!(out, "{text}").map_err(written)?;
    }
    out.flush().map_err(written)
}

fn written(e: io::Error) -> Stop {
    match e.kind() {
        io::ErrorKind::BrokenPipe => Stop::ReaderGone,
        _ => Stop::Failed(format!("could not write to standard output: {e}")),
    }
}

/// A message for people, on standard error.
pub fn note(text: impl Display) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// Log lines of the commands, on standard error (standard output is for their answers), lost quietly
/// when it is closed.
#[derive(Debug, Clone, Copy)]
pub struct LogToStderr;

impl Write for LogToStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}
