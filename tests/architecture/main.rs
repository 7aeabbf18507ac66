//! Architecture tests: they read `src/` and hold the rules `docs/ARCHITECTURE.md` states — the
//! layering, small files, services free of HTTP, states written only in their enums, and the error
//! catalogue a client relies on. They need no database and run in both passes of CI.

mod catalogue;
mod layering;
mod locales;
mod rules;
mod source;
mod states;
mod timestamps;
