//! The background work `serve` starts: the once-a-minute scheduler (open windows, mark missed,
//! escalate alerts) and the mail sender that renders and sends the outbox. They sit above every
//! capability they read, so no capability reaches up to them.

pub mod mail;
pub mod scheduler;
