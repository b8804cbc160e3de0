use std::process::Command;

fn run() -> std::io::Result<()> {
    Command::new("ls").arg("-l").status()?;
    Ok(())
}

fn first(values: &[u8]) -> Option<u8> {
    values.first().copied()
}
